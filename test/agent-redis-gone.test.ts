import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startForegroundAgent, type AgentJson } from './support/agents.js';
import { createFleetEnv, type FleetEnv } from './support/fleet-env.js';
import { isAlive, until } from './support/poll.js';
import { startRedis, type TestRedis } from './support/redis-server.js';
import { untilState, type JobJson } from './support/use-fleet.js';
import { untilNoProcessesWith } from './support/processes.js';

// Every write reaches the AOF before it is answered: what Redis said before
// it was killed is what it says once started again.
let redis: TestRedis;
let env: FleetEnv;
let redisDown = false;
let redisFrozen = false;
beforeAll(async () => {
  redis = await startRedis(['--appendfsync', 'always']);
});
afterAll(async () => {
  await redis.stop();
});
beforeEach(async () => {
  env = await createFleetEnv(redis, { FLEET_AGENT_IDLE: '3s' });
});
afterEach(async () => {
  if (redisFrozen) thawRedis();
  if (redisDown) await bringRedisBack();
  await env.cleanup();
});

async function killRedis(): Promise<void> {
  redisDown = true;
  await redis.kill();
}

function freezeRedis(): void {
  redisFrozen = true;
  redis.freeze();
}

function thawRedis(): void {
  redis.thaw();
  redisFrozen = false;
}

async function bringRedisBack(): Promise<void> {
  await redis.start();
  redisDown = false;
}

describe('an agent whose Redis is gone', () => {
  it('started by the CLI, idles out all the same, and logs the lost connection a bounded number of times', async () => {
    const ran = await env.fleet(['invoke', '-c', 'localhost', '--', 'echo hello']);
    expect(ran.stdout).toBe('localhost: hello\n');
    const [agent] = await env.json<AgentJson[]>(['agents']);
    expect(agent).toBeDefined();
    const pid = agent?.pid as number;

    await killRedis();
    const started = Date.now();
    await until(() => !isAlive(pid), { what: 'the agent to idle out with Redis gone', timeoutMs: 60_000 });
    const exitedAfterMs = Date.now() - started;

    const log = await readFile(join(env.home, 'state', 'agent.log'), 'utf8');
    expect(log).toContain('idle for 3s, exiting');
    // BullMQ reports the lost connection twice every 2 s; the log says it once, then sums up.
    const errorLines = log.split('\n').filter((line) => line.includes('worker error'));
    expect(errorLines.length).toBeGreaterThan(0);
    expect(errorLines.length).toBeLessThanOrEqual(2);
    console.log(`agent idled out ${exitedAfterMs} ms after Redis was killed (FLEET_AGENT_IDLE=3s)`);
  });

  it('exits on SIGTERM, and its job ends agent lost, once, when Redis is back', async () => {
    const agent = await startForegroundAgent(env);
    const job = await env.json<JobJson>(['start', '--', `echo up; ${env.sleep} 300`]);
    await untilState(env, job.id, ['Running']);
    // Its first line is in Redis (Running says only that it started): it must still be there once Redis is back.
    await until(async () => (await env.fleet(['receive', String(job.id), '--keep'])).stdout === 'up\n', {
      what: 'the job to have written its first line',
    });

    await killRedis();
    const started = Date.now();
    agent.child.kill('SIGTERM');
    expect(await agent.exited).toBe(0);
    const exitedAfterMs = Date.now() - started;
    // Its command was interrupted, Redis or not.
    await untilNoProcessesWith(env.marker, { what: 'the command to end' });

    await bringRedisBack();
    // The agent's heartbeat has run out: the next look at the job finds it lost.
    const lost = await untilState(env, job.id, ['Failed'], 60_000);
    expect(lost).toMatchObject({ reason: 'agent lost', exitCode: null });
    // Once: one end record, and a later agent's reaping changes nothing.
    await startForegroundAgent(env);
    const next = await env.json<JobJson>(['start', '--', 'echo next']);
    await untilState(env, next.id, ['Completed']);
    expect((await env.json<JobJson[]>(['get', String(job.id)]))[0]).toMatchObject({ state: 'Failed', reason: 'agent lost' });
    const records = await env.fleet(['receive', String(job.id)]);
    expect(records.stdout).toBe('up\n');
    expect(records.stderr).toBe('error: agent lost\n');
    expect(agent.stderr()).toContain('Redis did not answer within');
    expect(await env.json<AgentJson[]>(['agents'])).toHaveLength(1);
    console.log(`agent exited ${exitedAfterMs} ms after SIGTERM with Redis gone`);
  });

  it('frozen (SIGSTOP: its connections stay open, nothing answers), does not wait the drain grace on SIGTERM: it stops at once', async () => {
    const agent = await startForegroundAgent(env);
    const job = await env.json<JobJson>(['start', '--', `echo up; ${env.sleep} 300`]);
    await until(async () => (await env.fleet(['receive', String(job.id), '--keep'])).stdout === 'up\n', {
      what: 'the job to have written its first line',
    });

    freezeRedis();
    const started = Date.now();
    agent.child.kill('SIGTERM');
    // The drain grace is 5 minutes: the test's deadline is well below it.
    expect(await agent.exited).toBe(0);
    const exitedAfterMs = Date.now() - started;
    await untilNoProcessesWith(env.marker, { what: 'the command to end' });
    expect(agent.stderr()).toContain("draining: Redis is unreachable, so no job's end could be written");

    // The end the agent sent before it exited sits in the frozen server's socket: it lands once thawed
    // (agent shut down); had it not been sent, the reaper's agent lost. Either way the job ends, once.
    thawRedis();
    const ended = await untilState(env, job.id, ['Failed'], 60_000);
    expect(['agent shut down', 'agent lost']).toContain(ended.reason);
    console.log(`agent exited ${exitedAfterMs} ms after SIGTERM with Redis frozen`);
  });
});
