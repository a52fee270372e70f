import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createFleetEnv, type FleetEnv } from './support/fleet-env.js';
import { isAlive, until } from './support/poll.js';
import type { JobJson } from './support/use-fleet.js';

/**
 * With no FLEET_REDIS_URL and nothing on 127.0.0.1:6379, fleet starts its own
 * redis-server. Each command runs in a fresh network namespace (`unshare
 * --net`), where nothing can answer on 127.0.0.1:6379 whatever this machine
 * runs; the embedded server's unix socket is a file, so every namespace
 * reaches it.
 */
const NO_NETWORK = ['/usr/bin/unshare', '--net'];

let env: FleetEnv;
let redisPids: number[] = [];

beforeEach(async () => {
  env = await createFleetEnv(null, { FLEET_AGENT_IDLE: '8' });
  redisPids = [];
});

afterEach(async () => {
  for (const pid of redisPids) if (isAlive(pid)) process.kill(pid, 'SIGKILL');
  await until(() => redisPids.every((pid) => !isAlive(pid)), { what: 'the embedded redis-server to exit' });
  await env.cleanup();
});

async function embeddedPid(stateDir: string): Promise<number> {
  const pid = Number((await readFile(join(stateDir, 'redis', 'redis.pid'), 'utf8')).trim());
  if (!redisPids.includes(pid)) redisPids.push(pid);
  return pid;
}

describe('the embedded Redis', () => {
  it('is started on first use, reused after, and the detached agent exits when idle', async () => {
    const stateDir = env.env.FLEET_STATE_DIR as string;
    const started = await env.fleet(['start', '--json', '--', 'echo embedded'], { wrap: NO_NETWORK });
    expect(started.stderr).toBe('');
    expect(started.code).toBe(0);
    const job = JSON.parse(started.stdout) as JobJson;
    // The agent this first command started, read at once: its idle time runs from the job's end.
    const agents = await env.fleet(['agents', '--json'], { wrap: NO_NETWORK });
    const agentPids = (JSON.parse(agents.stdout) as { pid: number }[]).map((agent) => agent.pid);
    expect(agentPids).toHaveLength(1);
    expect(existsSync(join(stateDir, 'redis', 'redis.sock'))).toBe(true);
    expect(existsSync(join(stateDir, 'redis', 'appendonlydir'))).toBe(true);
    const pid = await embeddedPid(stateDir);
    // Set as the README asks of any Redis fleet uses: AOF on, and refusing rather than evicting when full.
    const info = execFileSync('redis-cli', ['-s', join(stateDir, 'redis', 'redis.sock'), 'info', 'everything'], { encoding: 'utf8' });
    expect(info).toMatch(/^aof_enabled:1\r?$/m);
    expect(info).toMatch(/^maxmemory_policy:noeviction\r?$/m);

    const waited = await env.fleet(['wait', String(job.id), '--json'], { wrap: NO_NETWORK });
    expect((JSON.parse(waited.stdout) as JobJson[])[0]?.state).toBe('Completed');
    const received = await env.fleet(['receive', String(job.id)], { wrap: NO_NETWORK });
    expect(received.stdout).toBe('embedded\n');
    expect(await embeddedPid(stateDir)).toBe(pid);
    expect(redisPids).toEqual([pid]);

    // The agent fleet started outlived its CLI; with FLEET_AGENT_IDLE=8 it leaves on its own.
    await until(() => agentPids.every((agentPid) => !isAlive(agentPid)), { what: 'the idle agent to exit' });
    expect(JSON.parse((await env.fleet(['agents', '--json'], { wrap: NO_NETWORK })).stdout)).toEqual([]);
  });

  it('exits 3 and says how to install redis-server when it is not on PATH', async () => {
    const emptyBin = join(env.home, 'empty-bin');
    await mkdir(emptyBin);
    const result = await env.fleet(['get'], { wrap: NO_NETWORK, env: { PATH: emptyBin } });
    expect(result.code).toBe(3);
    expect(result.stderr).toMatch(/redis-server is not installed.*apt-get install redis-server.*FLEET_REDIS_URL/s);
  });
});
