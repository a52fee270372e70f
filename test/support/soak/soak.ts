// The chaos soak (issue 17 point 10): fan-outs over a loopback sshd fleet and
// local children while faults are injected, then every invariant checked.
// `npm run soak` (bench/soak.ts) and test/soak.test.ts both run it.
import { randomBytes } from 'node:crypto';
import { chmod, mkdir, mkdtemp, readdir, readFile, rm, symlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import type { JobView } from '@fleet/core';
import { FLEET_BIN, runFleet, type FleetResult } from '../fleet-cli.js';
import { until } from '../poll.js';
import { ancestorLines, processLinesWith, type ProcessLine } from '../processes.js';
import { startRedis, type TestRedis } from '../redis-server.js';
import { startSshFleet, type SshFleet } from '../ssh-fleet.js';
import { SoakAgents } from './agents.js';
import { FAULT_KINDS, startFaults, type FaultKind } from './faults.js';
import { judgeSoak, type MemoryRule, type SoakRecord, type SoakVerdict } from './invariants.js';
import { seededRandom, type Random } from './random.js';
import { runChildId, soakCommand, type FanOutKind } from './workload.js';

export interface SoakOptions {
  /** How long faults are injected and fan-outs launched. */
  faultMs: number;
  /** The replayable seed of the fault schedule and of the fan-outs. */
  seed: number;
  /** Fan-outs launched side by side. @defaultValue 3 */
  lanes?: number;
  /** Numbered lines each child prints. @defaultValue 300 */
  lines?: number;
  /** After the faults, how long every job has to end. @defaultValue 180 s */
  settleMs?: number;
  /** Once every job ended, how long a process carrying the marker may take to go. @defaultValue 60 s */
  orphanWaitMs?: number;
  log?: (line: string) => void;
}

export interface SoakWorldOptions {
  /** sshd hosts. @defaultValue 6 */
  hosts?: number;
  /** Foreground agents (the first is never faulted). @defaultValue 3 */
  agents?: number;
}

export interface SoakResult {
  seed: number;
  hosts: number;
  agents: number;
  lanes: number;
  lines: number;
  faultMs: number;
  /** From the faults' end to every job ended; null if some never did. */
  settleMs: number | null;
  faults: Record<FaultKind, number>;
  faultNotes: string[];
  launched: number;
  stopsSent: number;
  /** Stops that could not reach Redis within a minute of retries. */
  stopsUnsent: number;
  /** `invoke` runs that made no job (say, Redis was down), by the first line of what they printed. */
  launchFailures: Map<string, number>;
  parents: JobView[];
  children: JobView[];
  /** Agents fleet started by itself (a CLI that found none alive). */
  fleetStartedAgents: number[];
  verdict: SoakVerdict;
}

/** Every process, file and server the soak made, and how to end them all (also on SIGINT). */
export interface SoakWorld {
  marker: string;
  env: NodeJS.ProcessEnv;
  redis: TestRedis;
  fleet: SshFleet;
  agents: SoakAgents;
  /** How many agents run side by side. */
  slots: number;
  runsDir: string;
  sleep: string;
  /** Run first by {@link close}: a soak under way stops its faults (undoing them) and launches no more. */
  beforeClose: (() => Promise<void>)[];
  close(): Promise<void>;
}

const MEMORY_RULE: MemoryRule = { warmupMs: 20_000, baselineSamples: 3, minSamples: 10, maxRatio: 3 };

export async function createSoakWorld(options: SoakWorldOptions = {}): Promise<SoakWorld> {
  const marker = `soakmark${randomBytes(4).toString('hex')}`;
  const work = await mkdtemp(join(tmpdir(), 'fleet-soak-'));
  await chmod(work, 0o755); // the hosts' login user writes its run markers below
  const runsDir = join(work, 'runs');
  await mkdir(runsDir);
  await chmod(runsDir, 0o777);
  const home = join(work, 'home');
  await mkdir(home);
  const sleep = join(tmpdir(), `${marker}-sleep`);
  await symlink('/bin/sleep', sleep);
  // Every write acknowledged is on disk: a Redis crash loses nothing fleet was told is stored.
  const [redis, fleet] = await Promise.all([startRedis(['--appendfsync', 'always']), startSshFleet(options.hosts ?? 6)]);
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH,
    HOME: home,
    FLEET_PREFIX: `{soak-${randomBytes(3).toString('hex')}}`,
    FLEET_STATE_DIR: join(home, 'state'),
    FLEET_REDIS_URL: redis.url,
    FLEET_SSH_CONFIG: fleet.sshConfig,
    FLEET_STOP_GRACE: '2s',
    // A restart drains: the running jobs get this long to finish, then are stopped (agent shut down).
    FLEET_DRAIN_GRACE: '5s',
    FLEET_AGENT_IDLE: '30s',
  };
  const slots = options.agents ?? 3;
  const agents = new SoakAgents({ env, slots, concurrency: 8, logFile: join(work, 'agents.log'), sampleEveryMs: 2000 });
  const beforeClose: (() => Promise<void>)[] = [];
  let closed = false;
  return {
    marker,
    env,
    redis,
    fleet,
    agents,
    slots,
    runsDir,
    sleep,
    beforeClose,
    async close() {
      if (closed) return;
      closed = true;
      // Else a fault undone after this (a Redis or an agent started again) would outlive the soak.
      for (const stop of beforeClose) await stop();
      for (const host of fleet.hosts) await fleet.thaw(host.index);
      // Agents a CLI started by itself for the soak's prefix (those listed while Redis answers).
      for (const pid of await registeredAgents(env)) if (await isFleetAgent(pid)) signalPid(pid, 'SIGKILL');
      await agents.killAll();
      for (const orphan of await processLinesWith(marker)) signalPid(orphan.pid, 'SIGKILL');
      await Promise.all([fleet.close(), redis.stop()]);
      await rm(work, { recursive: true, force: true });
      await rm(sleep, { force: true });
    },
  };
}

export async function runSoak(world: SoakWorld, options: SoakOptions): Promise<SoakResult> {
  const log = options.log ?? (() => {});
  const lines = options.lines ?? 300;
  const lanes = options.lanes ?? 3;
  const { slots } = world;
  const fleet = (args: string[], timeoutMs = 60_000) => runFleet(args, { env: world.env, timeoutMs });

  world.agents.fill();
  await until(async () => (await registeredAgents(world.env)).length >= slots, { what: 'the soak agents to register', timeoutMs: 60_000 });

  const workload = {
    launched: 0,
    stopsSent: 0,
    stopsUnsent: 0,
    launchFailures: new Map<string, number>(),
    stopping: false,
  };
  const faults = startFaults(
    { agents: world.agents, steadySlots: 1, redis: world.redis, fleet: world.fleet },
    seededRandom(options.seed),
    { everyMs: [2000, 5000], undoAfterMs: [1000, 4000] },
    log,
  );
  world.beforeClose.push(async () => {
    workload.stopping = true;
    await faults.stop();
  });
  const lane = async (random: Random) => {
    while (!workload.stopping) {
      const kind: FanOutKind = random.next() < 0.6 ? 'lines' : random.pick(['timeout', 'stop']);
      const hosts = [
        ...random.shuffle(world.fleet.entries).slice(0, random.integer(1, world.fleet.entries.length)),
        ...Array<string>(random.integer(0, 2)).fill('localhost'),
      ];
      const command = soakCommand({ runsDir: world.runsDir, sleep: world.sleep, lines, long: kind !== 'lines' });
      const timeout = kind === 'timeout' ? ['--timeout', String(random.integer(3, 10))] : [];
      const launch = await fleet(['invoke', '-c', hosts.join(','), '--as-job', '--json', ...timeout, '--', command]);
      const job = parseJob(launch);
      if (job === null) {
        const why = firstLine(launch);
        workload.launchFailures.set(why, (workload.launchFailures.get(why) ?? 0) + 1);
        await delay(1000);
        continue;
      }
      workload.launched += 1;
      log(`fan-out ${job.id} (${kind}) on ${hosts.length} hosts`);
      if (kind === 'stop') {
        await delay(random.between(2000, 8000));
        // A stop that met Redis down (exit 3) is the user's to retry, as a user would.
        const stopped = await until(async () => ((await fleet(['stop', String(job.id)])).code === 3 ? undefined : true), {
          what: `fleet stop ${job.id} to reach Redis`,
          timeoutMs: 60_000,
          intervalMs: 1000,
        }).catch(() => false);
        if (stopped) workload.stopsSent += 1;
        else workload.stopsUnsent += 1;
      }
      await fleet(['wait', String(job.id), '--timeout', '30'], 45_000);
    }
  };
  const laneRuns = Array.from({ length: lanes }, (_, index) => lane(seededRandom(options.seed + 1 + index)));

  const began = Date.now();
  await delay(options.faultMs);
  workload.stopping = true;
  await faults.stop();
  const faultsEnded = Date.now();
  const faultMs = faultsEnded - began;
  log(`faults over after ${(faultMs / 1000).toFixed(0)} s; waiting for every job to end`);
  world.agents.fill();
  await Promise.all(laneRuns);

  const allEnded = await until(async () => (await listParents(world.env)).every(isFinal) || undefined, {
    what: 'every job to end',
    timeoutMs: options.settleMs ?? 180_000,
    intervalMs: 2000,
  }).then(
    () => true,
    () => false,
  );
  const settleMs = allEnded ? Date.now() - faultsEnded : null;
  const orphans = await until(async () => ((await processLinesWith(world.marker)).length === 0 ? [] : undefined), {
    what: 'processes carrying the marker to end',
    timeoutMs: options.orphanWaitMs ?? 60_000,
    intervalMs: 1000,
  }).catch(async (): Promise<ProcessLine[]> => Promise.all((await processLinesWith(world.marker)).map(placed)));
  log(`${allEnded ? 'every job ended' : 'some jobs never ended'}; ${orphans.length} processes carrying the marker left`);

  const parents = await listParents(world.env);
  const ids = parents.map((parent) => String(parent.id));
  const children =
    ids.length === 0 ? [] : (await json<JobView[]>(world.env, ['get', ...ids, '--children'])).filter((job) => job.parentId !== null);
  const records = ids.length === 0 ? [] : await receiveAll(world.env, ids);
  const runs = new Map<number, number>();
  for (const file of await readdir(world.runsDir)) {
    const id = runChildId(file);
    if (id !== null) runs.set(id, (runs.get(id) ?? 0) + 1);
  }
  world.agents.stopSampling();
  const ours = new Set(world.agents.pids());
  const fleetStartedAgents = (await registeredAgents(world.env)).filter((pid) => !ours.has(pid));
  return {
    seed: options.seed,
    hosts: world.fleet.hosts.length,
    agents: slots,
    lanes,
    lines,
    faultMs,
    settleMs,
    faults: faults.counts,
    faultNotes: faults.notes,
    ...workload,
    parents,
    children,
    fleetStartedAgents,
    verdict: judgeSoak({ lines, parents, children, records, runs, orphans, memory: world.agents.memory(), memoryRule: MEMORY_RULE }),
  };
}

export { FAULT_KINDS };

const isFinal = (job: JobView) => job.state === 'Completed' || job.state === 'Failed' || job.state === 'Stopped';

function parseJob(result: FleetResult): JobView | null {
  if (result.code !== 0) return null;
  try {
    return JSON.parse(result.stdout) as JobView;
  } catch {
    return null;
  }
}

function firstLine(result: FleetResult): string {
  const line = result.stderr.split('\n').find((text) => text.trim() !== '') ?? '';
  return `exit ${result.code}: ${line.slice(0, 140)}`;
}

async function json<T>(env: NodeJS.ProcessEnv, args: string[]): Promise<T> {
  const result = await runFleet([...args, '--json'], { env, timeoutMs: 120_000 });
  if (result.code !== 0 && result.stdout.trim() === '')
    throw new Error(`fleet ${args.slice(0, 3).join(' ')} failed (exit ${result.code}): ${result.stderr}`);
  return JSON.parse(result.stdout) as T;
}

async function listParents(env: NodeJS.ProcessEnv): Promise<JobView[]> {
  return json<JobView[]>(env, ['get']);
}

async function receiveAll(env: NodeJS.ProcessEnv, ids: string[]): Promise<SoakRecord[]> {
  const result = await runFleet(['receive', ...ids, '--keep', '--json'], { env, timeoutMs: 300_000 });
  return result.stdout
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => JSON.parse(line) as SoakRecord);
}

async function registeredAgents(env: NodeJS.ProcessEnv): Promise<number[]> {
  const result = await runFleet(['agents', '--json'], { env, timeoutMs: 20_000 });
  if (result.code !== 0) return [];
  return (JSON.parse(result.stdout) as { pid: number }[]).map((agent) => agent.pid);
}

/**
 * A process carrying the marker, its command line followed by where it runs:
 * under a host's sshd; or, its session gone, as the hosts' login user (an SSH
 * command) or as this one (a local command).
 */
async function placed(orphan: ProcessLine): Promise<ProcessLine> {
  const host = (await ancestorLines(orphan.pid)).map((line) => /ListenAddress=([\d.]+):/.exec(line)?.[1]).find(Boolean);
  const uid = Number(/^Uid:\s+(\d+)/m.exec(await readFile(`/proc/${orphan.pid}/status`, 'utf8').catch(() => ''))?.[1]);
  const where =
    host !== undefined ? `on host ${host}` : uid === process.getuid?.() ? 'local' : `over SSH, its sshd session gone (uid ${uid})`;
  return { ...orphan, cmdline: `${orphan.cmdline} (${where})` };
}

/** Whether `pid` is a `fleet agent` of this checkout (a pid the registry lists may have been reused since). */
async function isFleetAgent(pid: number): Promise<boolean> {
  const cmdline = await readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => '');
  return cmdline.includes(FLEET_BIN) && cmdline.includes('\u0000agent');
}

function signalPid(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(pid, signal);
  } catch {
    // already gone
  }
}
