import { mkdtemp, realpath, rm, symlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { expect } from 'vitest';
import { runFleet, spawnFleet, type FleetResult } from './fleet-cli.js';
import { isAlive, until } from './poll.js';
import { processesWith } from './processes.js';
import type { TestRedis } from './redis-server.js';

/**
 * One test's world: its own key prefix on the file's redis-server, its own
 * HOME and state directory. `cleanup` stops every agent the test started (or
 * fleet started for it) and fails the test if any of them, or any process
 * carrying the test's marker, is still alive.
 */
export interface FleetEnv {
  env: NodeJS.ProcessEnv;
  home: string;
  prefix: string;
  /** A unique word to put in commands, so leftover processes can be found. */
  marker: string;
  /**
   * `sleep` under a name that carries the marker (a symlink in /tmp, which the
   * SSH hosts' user can run too). A `# marker` comment is not enough: sh execs
   * the last command of a line, and the comment never reaches its argv.
   */
  sleep: string;
  fleet(args: string[], options?: { input?: string; env?: NodeJS.ProcessEnv; timeoutMs?: number; wrap?: string[] }): Promise<FleetResult>;
  /** `fleet ... --json`, parsed. */
  json<T = unknown>(args: string[]): Promise<T>;
  spawn(args: string[], env?: NodeJS.ProcessEnv): ReturnType<typeof spawnFleet>;
  cleanup(): Promise<void>;
}

export async function createFleetEnv(redis: TestRedis | null, extraEnv: NodeJS.ProcessEnv = {}): Promise<FleetEnv> {
  const home = await realpath(await mkdtemp(join(tmpdir(), 'fleet-home-')));
  const marker = `fleetmark${randomBytes(4).toString('hex')}`;
  const prefix = `{t-${marker}}`;
  const sleep = join(tmpdir(), `${marker}-sleep`);
  await symlink('/bin/sleep', sleep);
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH,
    HOME: home,
    FLEET_PREFIX: prefix,
    FLEET_STATE_DIR: join(home, 'state'),
    ...(redis ? { FLEET_REDIS_URL: redis.url } : {}),
    ...extraEnv,
  };
  const spawned: ReturnType<typeof spawnFleet>[] = [];
  const fleetEnv: FleetEnv = {
    env,
    home,
    prefix,
    marker,
    sleep,
    fleet: (args, options = {}) =>
      runFleet(args, { env: { ...env, ...options.env }, input: options.input, timeoutMs: options.timeoutMs, wrap: options.wrap }),
    async json<T>(args: string[]) {
      // --json must come before `--`, after which every word belongs to the command.
      const dashes = args.indexOf('--');
      const withJson = dashes === -1 ? [...args, '--json'] : [...args.slice(0, dashes), '--json', ...args.slice(dashes)];
      const result = await fleetEnv.fleet(withJson);
      if (result.stdout.trim() === '') throw new Error(`fleet ${args.join(' ')} printed nothing (exit ${result.code}): ${result.stderr}`);
      return JSON.parse(result.stdout) as T;
    },
    spawn(args, extra = {}) {
      const child = spawnFleet(args, { env: { ...env, ...extra } });
      spawned.push(child);
      return child;
    },
    async cleanup() {
      const agents = redis ? await listAgentPids(fleetEnv) : [];
      const pids = [...agents, ...spawned.map((child) => child.pid).filter((pid): pid is number => pid !== undefined)];
      const leaked = pids.filter(isAlive);
      for (const pid of leaked) process.kill(pid, 'SIGKILL');
      await until(() => pids.every((pid) => !isAlive(pid)), { what: 'agents to exit' });
      const leftovers = await processesWith(marker);
      for (const pid of leftovers) process.kill(pid, 'SIGKILL');
      // maxRetries: a process of the test may still be closing a file under home as it is removed.
      await rm(home, { recursive: true, force: true, maxRetries: 5 });
      await rm(sleep, { force: true });
      expect(leftovers, `processes left running with marker ${marker}`).toEqual([]);
    },
  };
  return fleetEnv;
}

async function listAgentPids(fleetEnv: FleetEnv): Promise<number[]> {
  const result = await fleetEnv.fleet(['agents', '--json']);
  if (result.code !== 0) return [];
  return (JSON.parse(result.stdout) as { pid: number }[]).map((agent) => agent.pid);
}

export { processesWith };
