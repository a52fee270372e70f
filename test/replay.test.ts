import type { ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parseComputerNames, resolveJobRequest } from '@fleet/core';
import { deploymentPinFile, FleetStore } from '@fleet/store';
import type { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { isAlive, until } from './support/poll.js';
import { startRedis, type TestRedis } from './support/redis-server.js';
import { userSigner } from './support/signing.js';
import { untilState, useFleet, type JobJson } from './support/use-fleet.js';

const fleet = useFleet();

/** What the attacker does with write access to Redis: put a finished child back in line to run again. */
async function replay(client: Redis, prefix: string, ids: number[]): Promise<void> {
  for (const id of ids) {
    await client.hset(`${prefix}:job:${id}`, 'state', 'NotStarted');
    await client.hdel(`${prefix}:job:${id}`, 'agentId', 'endedAt', 'exitCode', 'reason');
    // Scored long ago: the reaper finds it overdue and hands it to BullMQ again.
    await client.zadd(`${prefix}:dispatching`, 0, String(id));
  }
}

async function childRecord(client: Redis, prefix: string, id: number): Promise<Record<string, string>> {
  return client.hgetall(`${prefix}:job:${id}`);
}

/** Waits for each child to end again, refused; returns their records. */
async function untilRefused(client: Redis, prefix: string, ids: number[]): Promise<Record<string, string>[]> {
  return until(
    async () => {
      const records = await Promise.all(ids.map((id) => childRecord(client, prefix, id)));
      return records.every((record) => record.state === 'Failed') ? records : undefined;
    },
    { what: `children ${ids.join(',')} to end again` },
  );
}

async function lines(file: string): Promise<string[]> {
  return (await readFile(file, 'utf8').catch(() => '')).split('\n').filter(Boolean);
}

describe('an agent never runs the same signed job twice', () => {
  async function startAgent(): Promise<ChildProcess> {
    const before = (await fleet.env.json<{ pid: number }[]>(['agents'])).length;
    const agent = fleet.env.spawn(['agent']);
    await until(async () => (await fleet.env.json<unknown[]>(['agents'])).length === before + 1, { what: 'the agent' });
    return agent;
  }

  async function agentIdOf(agent: ChildProcess): Promise<string> {
    const agents = await fleet.env.json<{ id: string; pid: number }[]>(['agents']);
    return agents.find((entry) => entry.pid === agent.pid)!.id;
  }

  async function stopAgent(agent: ChildProcess): Promise<void> {
    agent.kill('SIGTERM');
    await until(() => !isAlive(agent.pid!), { what: 'the agent to exit' });
  }

  it('refuses a finished child put back in the queue, again after the agent restarts', async () => {
    const first = await startAgent();
    const firstId = await agentIdOf(first);
    const counter = join(fleet.env.home, 'counter');
    const job = await fleet.env.json<JobJson>(['invoke', '-c', 'localhost', '--as-job', '--', `echo ran >> ${counter}`]);
    await untilState(fleet.env, job.id, ['Completed']);
    expect(await lines(counter)).toEqual(['ran']);

    const client = fleet.redis.client();
    const childId = job.childIds[0]!;
    await replay(client, fleet.env.prefix, [childId]);
    const [refused] = await untilRefused(client, fleet.env.prefix, [childId]);
    expect(refused?.reason).toBe(`refused: already run (job ${childId}, by agent ${firstId} at ${refused?.reason?.split(' at ')[1]}`);
    expect(refused?.reason).toMatch(/^refused: already run \(job \d+, by agent \S+ at \d{4}-\d\d-\d\dT[\d:.]+Z\)$/);
    expect(await lines(counter)).toEqual(['ran']);

    // A new agent process on the same state directory remembers what the last one ran.
    await stopAgent(first);
    const second = await startAgent();
    const secondId = await agentIdOf(second);
    await replay(client, fleet.env.prefix, [childId]);
    const [again] = await untilRefused(client, fleet.env.prefix, [childId]);
    expect(again).toMatchObject({ agentId: secondId, reason: expect.stringContaining(`by agent ${firstId}`) });
    expect(await lines(counter)).toEqual(['ran']);
    // The job's own view says why.
    const [, child] = await fleet.env.json<JobJson[]>(['get', String(job.id), '--children']);
    expect(child?.reason).toMatch(/^refused: already run/);
  });

  it('refuses a replay whichever of two agents on one state directory takes it', async () => {
    const first = await startAgent();
    const firstId = await agentIdOf(first);
    const counter = join(fleet.env.home, 'counter');
    const job = await fleet.env.json<JobJson>([
      'invoke',
      '-c',
      'localhost,localhost,localhost,localhost',
      '--as-job',
      '--',
      `echo ran >> ${counter}`,
    ]);
    await untilState(fleet.env, job.id, ['Completed']);
    expect(await lines(counter)).toHaveLength(4);

    // Both alive: the replays race between them.
    const second = await startAgent();
    const secondId = await agentIdOf(second);
    const client = fleet.redis.client();
    await replay(client, fleet.env.prefix, job.childIds);
    for (const record of await untilRefused(client, fleet.env.prefix, job.childIds)) {
      expect(record.reason).toMatch(/^refused: already run/);
    }
    // Only the other agent left: it refuses what the first one ran.
    await stopAgent(first);
    await replay(client, fleet.env.prefix, job.childIds);
    for (const record of await untilRefused(client, fleet.env.prefix, job.childIds)) {
      expect(record).toMatchObject({ agentId: secondId, reason: expect.stringContaining(`by agent ${firstId}`) });
    }
    expect(await lines(counter)).toHaveLength(4);
  });
});

describe('a job signed for one deployment is refused in another', () => {
  let prod: TestRedis;
  beforeAll(async () => {
    prod = await startRedis();
  });
  afterAll(async () => {
    await prod.stop();
  });
  // Agents fleet started against prod, which the test environment's own cleanup (on staging) does not see.
  afterEach(async () => {
    await stopProdAgents();
  });

  async function stopProdAgents(): Promise<void> {
    const listed = await fleet.env.fleet(['agents', '--json'], { env: prodEnv() });
    const pids = listed.code === 0 ? (JSON.parse(listed.stdout) as { pid: number }[]).map((agent) => agent.pid) : [];
    for (const pid of pids.filter(isAlive)) process.kill(pid, 'SIGTERM');
    await until(() => pids.every((pid) => !isAlive(pid)), { what: "prod's agents to exit" });
  }

  /** The same user, key and prefix against the other Redis, as another machine (its own state directory). */
  const prodEnv = () => ({ FLEET_REDIS_URL: prod.url, FLEET_STATE_DIR: join(fleet.env.home, 'prod-state') });

  it('refuses a staging job copied into prod, naming both deployments, and runs nothing', async () => {
    const { prefix } = fleet.env;
    const staging = fleet.redis.client();
    const prodClient = prod.client();
    // Prod's agent, same user and key as staging's controller.
    fleet.env.spawn(['agent'], prodEnv());
    await until(async () => (await prodClient.keys(`${prefix}:agent:*`)).length === 1, { what: "prod's agent" });

    // Made on staging, signed as its CLI signs, never dispatched there.
    const planted = join(fleet.env.home, 'planted');
    const request = resolveJobRequest({
      type: 'remote',
      command: { kind: 'shell', line: `touch ${planted}` },
      hosts: parseComputerNames('localhost'),
    });
    const store = new FleetStore({ client: staging, prefix, heartbeatTtlMs: 10_000 });
    const { job } = await store.jobs.create(request, await userSigner(fleet.env));
    const stagingDeployment = await staging.get(`${prefix}:deployment`);
    expect(stagingDeployment).toEqual(expect.any(String));

    // The attacker copies its records into prod and queues the child there.
    for (const id of [job.id, ...job.childIds]) await prodClient.hset(`${prefix}:job:${id}`, await staging.hgetall(`${prefix}:job:${id}`));
    await prodClient.zadd(`${prefix}:dispatching`, 0, String(job.childIds[0]));
    const [refused] = await untilRefused(prodClient, prefix, job.childIds);
    const prodDeployment = await prodClient.get(`${prefix}:deployment`);
    expect(prodDeployment).not.toBe(stagingDeployment);
    expect(refused?.reason).toBe(`refused: signed for deployment ${stagingDeployment}, this agent serves deployment ${prodDeployment}`);
    expect(existsSync(planted)).toBe(false);
  });

  it('refuses to create or run jobs when Redis holds another deployment id than the pin', async () => {
    const { prefix } = fleet.env;
    const env = prodEnv();
    expect((await fleet.env.fleet(['invoke', '-c', 'localhost', '--', 'true'], { env })).code).toBe(0);
    const client = prod.client();
    const pinned = (await client.get(`${prefix}:deployment`))!;
    const pinFile = deploymentPinFile(env.FLEET_STATE_DIR, prod.url, prefix);
    expect(JSON.parse(await readFile(pinFile, 'utf8'))).toEqual({ endpoint: prod.url, prefix, deployment: pinned });

    await client.set(`${prefix}:deployment`, 'rewritten');
    const ran = join(fleet.env.home, 'after-rewrite');
    const cli = await fleet.env.fleet(['invoke', '-c', 'localhost', '--', 'touch', ran], { env });
    expect(cli.code).toBe(1);
    const words = `Redis at ${prod.url} (prefix ${prefix}) says deployment rewritten, but this side pinned deployment ${pinned} when it first used it (${pinFile})`;
    expect(cli.stderr).toContain(words);
    expect(cli.stderr).toContain(`if that Redis was replaced on purpose, delete ${pinFile} here`);
    // An agent started now refuses to serve it at all.
    const agent = await fleet.env.fleet(['agent'], { env, timeoutMs: 20_000 });
    expect(agent.code).toBe(1);
    expect(agent.stderr).toContain(words);
    expect(existsSync(ran)).toBe(false);
  });

  it('gives a Redis that lost its deployment id the pinned one back, and jobs still run', async () => {
    const { prefix } = fleet.env;
    const env = prodEnv();
    const first = await fleet.env.fleet(['invoke', '-c', 'localhost', '--', 'echo', 'one'], { env });
    expect(first).toMatchObject({ code: 0, stdout: 'localhost: one\n' });
    const client = prod.client();
    const pinned = await client.get(`${prefix}:deployment`);
    // Its agent goes first; then everything, as a Redis restarted empty loses it.
    await stopProdAgents();
    await client.flushall();
    const second = await fleet.env.fleet(['invoke', '-c', 'localhost', '--', 'echo', 'two'], { env });
    expect(second).toMatchObject({ code: 0, stdout: 'localhost: two\n' });
    expect(await client.get(`${prefix}:deployment`)).toBe(pinned);
  });
});
