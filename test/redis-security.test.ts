import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createFleetEnv, type FleetEnv } from './support/fleet-env.js';
import { until } from './support/poll.js';
import { freePort, redisAnswers } from './support/redis-server.js';
import { makeTestTls, redisTlsArgs } from './support/test-tls.js';
import { untilState, type JobJson } from './support/use-fleet.js';

/** The least-privilege ACL user the README documents, for the default prefix. */
const ACL = ['fleet', 'on', '>s3cret', '~{fleet}*', '&{fleet}*', '+@all', '-@dangerous', '+info'];

let dir: string;
const servers: ChildProcess[] = [];

async function startServer(args: string[], ready: () => Promise<boolean>): Promise<void> {
  const server = spawn('redis-server', ['--save', '', '--dir', dir, ...args], { stdio: 'ignore' });
  servers.push(server);
  await until(ready, { what: 'redis-server' });
}

/** Runs a job, a fan-out, a stop and a remove through one environment: the whole life cycle. */
async function lifeCycle(env: FleetEnv): Promise<void> {
  const job = await env.json<JobJson>(['start', '--', 'echo secured']);
  await untilState(env, job.id, ['Completed']);
  expect((await env.fleet(['receive', String(job.id)])).stdout).toBe('secured\n');
  const fanOut = await env.fleet(['invoke', '-c', 'localhost,localhost', '--', 'echo hi']);
  expect([fanOut.code, fanOut.stdout]).toEqual([0, 'localhost: hi\nlocalhost: hi\n']);
  const thread = await env.json<JobJson>(['start', '--thread', '--eval', 'return 42']);
  await untilState(env, thread.id, ['Completed']);
  const sleeper = await env.json<JobJson>(['start', '--', `${env.sleep} 300`]);
  await untilState(env, sleeper.id, ['Running']);
  expect((await env.fleet(['stop', String(sleeper.id)])).code).toBe(0);
  expect((await env.fleet(['remove', '--state', 'Completed'])).code).toBe(0);
  expect((await env.json<JobJson[]>(['get'])).map((listed) => listed.state)).toEqual(['Stopped']);
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'fleet-redis-sec-'));
});
afterAll(async () => {
  for (const server of servers) server.kill('SIGKILL');
  await rm(dir, { recursive: true, force: true });
});

describe('Redis with an ACL user restricted to fleet’s prefix', () => {
  it('works end to end, and a wrong password is a clear exit 3', async () => {
    const port = await freePort();
    await startServer(['--port', String(port), '--bind', '127.0.0.1', '--user', 'default', 'off', '--user', ...ACL], () =>
      redisAnswers(null, { host: '127.0.0.1', port, username: 'fleet', password: 's3cret' }),
    );
    const env = await createFleetEnv(null, { FLEET_REDIS_URL: `redis://fleet:s3cret@127.0.0.1:${port}`, FLEET_PREFIX: '{fleet}' });
    try {
      await lifeCycle(env);
      const wrong = await env.fleet(['get'], { env: { FLEET_REDIS_URL: `redis://fleet:nope@127.0.0.1:${port}` } });
      expect(wrong.code).toBe(3);
      expect(wrong.stderr).toContain(`cannot reach Redis at redis://fleet:***@127.0.0.1:${port}: WRONGPASS`);
      expect(wrong.stderr).not.toContain('nope');
    } finally {
      for (const agent of JSON.parse((await env.fleet(['agents', '--json'])).stdout || '[]') as { pid: number }[])
        process.kill(agent.pid, 'SIGKILL');
      await env.cleanup();
    }
  });
});

describe('Redis over TLS', () => {
  it('works end to end with the CA in FLEET_REDIS_CA, and refuses an unknown certificate', async () => {
    const tls = await makeTestTls(dir);
    const { ca, caPem } = tls;
    const port = await freePort();
    await startServer([...redisTlsArgs(tls, port), '--bind', '127.0.0.1'], () =>
      redisAnswers(`rediss://127.0.0.1:${port}`, { tls: { ca: caPem } }),
    );
    const url = `rediss://127.0.0.1:${port}`;
    const env = await createFleetEnv(null, { FLEET_REDIS_URL: url, FLEET_REDIS_CA: ca });
    try {
      await lifeCycle(env);
      const untrusted = await env.fleet(['get'], { env: { FLEET_REDIS_CA: '' } });
      expect(untrusted.code).toBe(3);
      expect(untrusted.stderr).toMatch(/cannot reach Redis at rediss:\/\/127\.0\.0\.1:\d+\/?: \S+.*FLEET_REDIS_CA/s);
    } finally {
      for (const agent of JSON.parse((await env.fleet(['agents', '--json'])).stdout || '[]') as { pid: number }[])
        process.kill(agent.pid, 'SIGKILL');
      await env.cleanup();
    }
  });
});
