import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createFleetEnv, type FleetEnv } from './support/fleet-env.js';
import { createNetworkNamespace, type NetworkNamespace } from './support/jump-network.js';
import { isAlive, until } from './support/poll.js';
import type { JobJson } from './support/use-fleet.js';

/**
 * Once fleet has chosen a Redis without being told one, it keeps it (core's
 * redis-choice.ts). Every command runs in a network namespace of the test's
 * own, where 127.0.0.1:6379, the default address fleet looks at first, is
 * free for the test to fill or leave empty whatever this machine runs.
 */
let env: FleetEnv;
let netns: NetworkNamespace;
let inNamespace: string[];
let started: ChildProcess[] = [];
let embeddedRedisPid: number | null = null;

beforeEach(async () => {
  env = await createFleetEnv(null, { FLEET_AGENT_IDLE: '2' });
  netns = await createNetworkNamespace();
  inNamespace = ['/usr/sbin/ip', 'netns', 'exec', netns.name];
  started = [];
  embeddedRedisPid = null;
});

afterEach(async () => {
  for (const child of started) child.kill('SIGKILL');
  if (embeddedRedisPid !== null && isAlive(embeddedRedisPid)) process.kill(embeddedRedisPid, 'SIGKILL');
  await until(() => started.every((child) => child.exitCode !== null || child.signalCode !== null), {
    what: 'the test redis-server to exit',
  });
  await until(() => embeddedRedisPid === null || !isAlive(embeddedRedisPid), { what: 'the embedded redis-server to exit' });
  // The namespace's Redis is gone: cleanup asks a Redis that cannot answer, rather than look on this machine's 6379.
  if (embeddedRedisPid === null) env.env.FLEET_REDIS_URL = 'redis://127.0.0.1:1';
  await env.cleanup();
  await netns.delete();
});

/**
 * A redis-server on the namespace's 127.0.0.1:6379, where fleet looks when no Redis is named,
 * set as fleet needs (AOF on, in the test's HOME), so that fleet has nothing to warn of.
 */
async function startRedisOnDefaultAddress(): Promise<void> {
  const child = spawn(
    inNamespace[0] as string,
    [
      ...inNamespace.slice(1),
      'redis-server',
      '--port',
      '6379',
      '--bind',
      '127.0.0.1',
      '--save',
      '',
      '--appendonly',
      'yes',
      '--dir',
      env.home,
    ],
    {
      stdio: 'ignore',
    },
  );
  started.push(child);
  await until(async () => (await redisCli('ping')) === 'PONG', { what: 'redis-server on the default address' });
}

async function redisCli(...args: string[]): Promise<string> {
  const child = spawn(inNamespace[0] as string, [...inNamespace.slice(1), 'redis-cli', '-p', '6379', ...args], {
    stdio: ['ignore', 'pipe', 'ignore'],
  });
  let out = '';
  child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
  await new Promise((resolve) => child.on('close', resolve));
  return out.trim();
}

describe('the Redis fleet chose', () => {
  it('stays the embedded one when a redis-server appears on the default address, and a change by FLEET_REDIS_URL is said', async () => {
    const stateDir = env.env.FLEET_STATE_DIR as string;
    const socket = join(stateDir, 'redis', 'redis.sock');
    const made = await env.fleet(['start', '--json', '--', 'echo kept'], { wrap: inNamespace });
    expect(made.stderr).toBe('');
    const job = JSON.parse(made.stdout) as JobJson;
    embeddedRedisPid = Number((await readFile(join(stateDir, 'redis', 'redis.pid'), 'utf8')).trim());
    expect(JSON.parse(await readFile(join(stateDir, 'redis-choice.json'), 'utf8'))).toEqual({ detected: 'embedded' });

    await startRedisOnDefaultAddress();
    const listed = await env.fleet(['get', '--json'], { wrap: inNamespace });
    expect(listed.stderr).toBe('');
    expect((JSON.parse(listed.stdout) as JobJson[]).map((each) => each.id)).toEqual([job.id]);
    // Nothing of fleet's was written into the Redis that appeared.
    expect(await redisCli('dbsize')).toBe('0');

    // Naming that Redis is the user's act: it is used, and the CLI says the Redis changed, once.
    const named = { FLEET_REDIS_URL: 'redis://127.0.0.1:6379' };
    const moved = await env.fleet(['get', '--json'], { wrap: inNamespace, env: named });
    expect(moved.code).toBe(0);
    expect(JSON.parse(moved.stdout)).toEqual([]);
    expect(moved.stderr).toBe(
      `fleet: Redis changed from ${socket} to redis://127.0.0.1:6379 (as FLEET_REDIS_URL, --redis or FLEET_REDIS_CLUSTER says); jobs kept in ${socket} are not seen here\n`,
    );
    expect((await env.fleet(['get', '--json'], { wrap: inNamespace, env: named })).stderr).toBe('');

    // Unnamed again: back to the embedded Redis, said as well.
    const back = await env.fleet(['get', '--json'], { wrap: inNamespace });
    expect(back.stderr).toMatch(
      /^fleet: Redis changed from redis:\/\/127\.0\.0\.1:6379 to .*redis\.sock \(the Redis fleet chose when none was named\)/,
    );
    expect((JSON.parse(back.stdout) as JobJson[]).map((each) => each.id)).toEqual([job.id]);
    expect(existsSync(socket)).toBe(true);
  });

  it('stays the default address when it stops answering: no embedded Redis in its place', async () => {
    const stateDir = env.env.FLEET_STATE_DIR as string;
    await startRedisOnDefaultAddress();
    const first = await env.fleet(['get', '--json'], { wrap: inNamespace });
    expect(first.stderr).toBe('');
    expect(JSON.parse(await readFile(join(stateDir, 'redis-choice.json'), 'utf8'))).toEqual({ detected: 'default-address' });

    for (const child of started) child.kill('SIGKILL');
    await until(() => started.every((child) => child.exitCode !== null || child.signalCode !== null), { what: 'redis-server to exit' });
    const gone = await env.fleet(['get', '--json'], { wrap: inNamespace });
    expect(gone.code).toBe(3);
    expect(gone.stderr).toMatch(/cannot reach Redis at redis:\/\/127\.0\.0\.1:6379.*the Redis fleet chose on first use/s);
    expect(gone.stderr).toContain(join(stateDir, 'redis-choice.json'));
    expect(existsSync(join(stateDir, 'redis'))).toBe(false);
  });
});
