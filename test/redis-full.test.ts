import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createFleetEnv, type FleetEnv } from './support/fleet-env.js';
import type { FleetResult } from './support/fleet-cli.js';
import { isAlive, until } from './support/poll.js';
import { startRedis, type TestRedis } from './support/redis-server.js';
import type { JobJson } from './support/use-fleet.js';

/**
 * Issue 17 point 9: a real redis-server with maxmemory 30mb and noeviction,
 * four local jobs each writing ~15 MB, as the user who reported it ran them.
 */
let redis: TestRedis;
let env: FleetEnv;
let admin: Redis;

beforeAll(async () => {
  redis = await startRedis(['--maxmemory', '30mb', '--maxmemory-policy', 'noeviction']);
  admin = redis.client();
});
afterAll(async () => {
  await redis.stop();
});
beforeEach(async () => {
  env = await createFleetEnv(redis);
});
afterEach(async () => {
  await env.cleanup();
});

/** ~15.2 MB of base64 on stdout, under the 16 MiB output cap, then a last line. */
const FIFTEEN_MB = 'head -c 11250000 /dev/zero | base64; echo finished';

const STACK_TRACE = /^\s+at /m;

async function usedMemory(): Promise<number> {
  const info = await admin.info('memory');
  return Number(/^used_memory:(\d+)/m.exec(info)?.[1]);
}

/** What a user reads when fleet could not write: one message and its hint, exit 3, no stack trace, no raw Redis words. */
function expectOutOfMemory(result: FleetResult): void {
  expect(result.code, result.stderr).toBe(3);
  expect(result.stderr).toMatch(
    /^fleet: Redis is out of memory \(maxmemory [\d.]+ MiB, used [\d.]+ MiB\): nothing new can be stored\n {2}\(free memory with fleet receive or fleet remove of finished jobs, or raise maxmemory\)\n$/,
  );
  expect(result.stderr).not.toMatch(STACK_TRACE);
  expect(result.stderr).not.toContain('ReplyError');
}

async function allJobs(): Promise<JobJson[]> {
  return env.json<JobJson[]>(['get']);
}

/** The jobs but one (the sleeper). */
async function jobsBut(id: number): Promise<JobJson[]> {
  return (await allJobs()).filter((job) => job.id !== id);
}

describe('Redis full (maxmemory under noeviction)', () => {
  it('strands nothing: jobs end with their reason, the agent lives, the CLI says exit 3, receive and remove free memory, then all runs again', async () => {
    // A command that runs on while Redis fills, to be stopped once it is full.
    const sleeper = JSON.parse((await env.fleet(['start', '--json', '--', `${env.sleep} 300`])).stdout) as JobJson;
    await until(async () => (await env.json<JobJson[]>(['get', String(sleeper.id)]))[0]?.state === 'Running', {
      what: 'the sleeper to run',
    });

    // The burst: four jobs at once, ~60 MB into a 30 MB Redis.
    const starts = await Promise.all([1, 2, 3, 4].map(() => env.fleet(['start', '--json', '--', FIFTEEN_MB])));
    for (const start of starts) {
      // Each start either made its job or says why not; none fails without a word.
      if (start.code === 0) expect(JSON.parse(start.stdout)).toMatchObject({ state: 'NotStarted' });
      else expectOutOfMemory(start);
    }
    const [agent] = await env.json<{ pid: number; id: string }[]>(['agents']);
    expect(agent).toBeDefined();

    // No job stays Running: each ends, and those whose output did not fit say so.
    const ended = await until(
      async () => {
        const jobs = await jobsBut(sleeper.id);
        return jobs.length > 0 && jobs.every((job) => job.state === 'Completed' || job.state === 'Failed') ? jobs : undefined;
      },
      { timeoutMs: 90_000, what: 'every job of the burst to end' },
    );
    expect(ended.length).toBe(starts.filter((start) => start.code === 0).length);
    const dropped = ended.filter((job) => job.state === 'Failed');
    expect(dropped.length).toBeGreaterThan(0);
    for (const job of dropped) {
      expect(job).toMatchObject({
        exitCode: 0,
        reason: expect.stringMatching(/^exit code 0, but output dropped: Redis out of memory \([\d.]+ (KiB|MiB) not stored\)$/),
      });
    }
    expect(isAlive(agent?.pid ?? 0)).toBe(true);

    // Redis full for sure, however close to maxmemory the burst left it: the limit goes below what it holds.
    const used = await usedMemory();
    expect(used).toBeGreaterThan(10 * 1024 * 1024);
    await admin.config('SET', 'maxmemory', String(used - 2 * 1024 * 1024));
    const fullSince = new Date().toISOString();

    // Nothing new can be written: a clear message, exit 3, and nothing half-made left behind.
    expectOutOfMemory(await env.fleet(['start', '--', 'echo never']));
    expectOutOfMemory(await env.fleet(['invoke', '-c', 'localhost,localhost', '--', 'echo never']));
    expectOutOfMemory(await env.fleet(['invoke', '-c', 'localhost', '--as-job', '--', 'echo never']));
    expect((await allJobs()).map((job) => job.id)).toEqual([sleeper.id, ...ended.map((job) => job.id)]);

    // A stop works while Redis is full: the command ends, and so does its job.
    expect((await env.fleet(['stop', String(sleeper.id)])).code).toBe(0);
    await until(async () => (await env.json<JobJson[]>(['get', String(sleeper.id)]))[0]?.state === 'Stopped', {
      what: 'the sleeper to be Stopped while Redis is full',
    });

    // The agent keeps saying it is alive while Redis is full (its beat runs with allow-oom), so nothing is reaped as lost.
    await until(
      async () => {
        const [beating] = await env.json<{ heartbeatAt: string }[]>(['agents']);
        return beating !== undefined && beating.heartbeatAt > fullSince;
      },
      { what: 'a heartbeat while Redis is full' },
    );

    // What frees memory works while Redis is full: receive (the output and its acknowledgement), then remove.
    const first = ended.find((job) => job.state === 'Completed') ?? ended[0];
    if (first === undefined) throw new Error('the burst made no job');
    const received = await env.fleet(['receive', String(first.id)]);
    expect(received.stderr).not.toMatch(STACK_TRACE);
    expect(received.code).toBe(first.state === 'Completed' ? 0 : 1);
    if (first.state === 'Completed') expect(received.stdout).toMatch(/^[A-Za-z0-9+/=\n]+finished\n$/);
    const [afterReceive] = await env.json<JobJson[]>(['get', String(first.id)]);
    expect(afterReceive?.hasMoreData).toBe(false);
    const removed = await env.fleet(['remove', ...ended.map((job) => String(job.id)), String(sleeper.id)]);
    expect(removed, removed.stderr).toMatchObject({ code: 0 });
    expect(await allJobs()).toEqual([]);

    // Memory freed, everything resumes, with the same agent: nothing was restarted or raised.
    expect(await usedMemory()).toBeLessThan(used - 4 * 1024 * 1024);
    const again = await env.fleet(['invoke', '-c', 'localhost,localhost', '--', 'echo after']);
    expect(again, again.stderr).toMatchObject({ code: 0, stdout: 'localhost: after\nlocalhost: after\n' });
    const [still] = await env.json<{ id: string }[]>(['agents']);
    expect(still?.id).toBe(agent?.id);

    // The agent's log names any trouble in words, not as a script digest.
    const log = await readFile(join(env.home, 'state', 'agent.log'), 'utf8');
    expect(log).not.toContain('agent error');
    expect(log).not.toContain('OOM command not allowed');
  }, 180_000);
});

describe('the Redis settings fleet needs', () => {
  let evicting: TestRedis;
  beforeAll(async () => {
    evicting = await startRedis(['--maxmemory', '100mb', '--maxmemory-policy', 'allkeys-lru', '--appendonly', 'no']);
  });
  afterAll(async () => {
    await evicting.stop();
  });

  it('warns of an evicting Redis and of one without AOF: in fleet status, once on the CLI meeting it, and in the agent log', async () => {
    const url = { FLEET_REDIS_URL: evicting.url };
    const evicts = 'warning: Redis evicts keys when full (maxmemory-policy allkeys-lru): it would silently lose jobs';
    const noAof = 'warning: Redis persistence is off (appendonly no)';
    const first = await env.fleet(['get'], { env: url });
    expect(first.code).toBe(0);
    expect(first.stderr).toContain(`fleet: ${evicts}`);
    expect(first.stderr).toContain(`fleet: ${noAof}`);
    // Once per Redis met: the next command says nothing, and stays as fast as before.
    expect((await env.fleet(['get'], { env: url })).stderr).toBe('');
    const status = await env.fleet(['status'], { env: url });
    expect(status.stdout).toContain(evicts);
    expect(status.stdout).toContain(noAof);
    // The CLI's detached agent checks when it starts.
    expect((await env.fleet(['invoke', '-c', 'localhost', '--', 'true'], { env: url })).code).toBe(0);
    const log = await readFile(join(env.home, 'state', 'agent.log'), 'utf8');
    expect(log).toContain(evicts);
    expect(log).toContain(noAof);
    const [agent] = await env.json<{ pid: number }[]>(['agents', '--redis', evicting.url]);
    if (agent) process.kill(agent.pid, 'SIGTERM');
    await until(() => agent === undefined || !isAlive(agent.pid), { what: 'the agent on the evicting Redis to exit' });
  });

  it('says nothing of a Redis set as fleet needs it', async () => {
    const status = await env.fleet(['status']);
    expect(status.code).toBe(0);
    expect(status.stdout).not.toContain('warning');
  });
});
