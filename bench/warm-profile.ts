// Where a warm fan-out's time goes: the same 100 loopback hosts, each over a
// connection that is already open, run
//   1. `true` with `xargs -P 32 ssh` over a ControlMaster (the peer's floor),
//   2. fleet's own remote command line for `true` (the wrapper, the orphan
//      watcher, then the login shell), over the same ControlMasters, with its
//      set-up header on standard input, held open until the command ends
//      (ssh-held-input.ts): what fleet asks of each host, without fleet,
//   3. `fleet invoke -- true`, warm.
// (2) - (1) is the cost of the wrapper on the hosts; (3) - (2) is fleet's own
// (the CLI's start, Redis, the agent). Each run's CPU time is split into the
// agent's, Redis's, the CLI's and the rest (sshd, the hosts' processes, the
// ssh clients): on a machine whose cores are all busy, CPU is the wall time.
// Not part of npm test:
// `BENCH_ONLY=warm-profile.ts npm run bench`. Settings: BENCH_PROFILE_HOSTS
// (default 100), BENCH_ROUNDS (default 5), BENCH_OUT_DIR, BENCH_CPU_PROF (CPU
// profiles of the CLI), BENCH_MONITOR (a file for one more run under MONITOR).
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildRemoteCommand, buildRemoteInput, type HostCommandSpec, type RunSpec } from '@fleet/core';
import { until } from '../test/support/poll.js';
import { startSshFleet } from '../test/support/ssh-fleet.js';
import { controlMasters } from './control-masters.js';
import { bundled, FLEET, reportFile } from './paths.js';
import { benchRedis } from './redis.js';
import { median } from './report.js';
import { timedRun } from './timed.js';

const HOSTS = Number(process.env.BENCH_PROFILE_HOSTS ?? 100);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);
const log = (line: string) => process.stderr.write(`bench: ${line}\n`);

const work = await mkdtemp(join(tmpdir(), 'fleet-bench-profile-'));
log(`starting ${HOSTS} sshd hosts`);
const fleet = await startSshFleet(HOSTS, { sshdOptions: ['MaxStartups=100:30:200'] });
const redis = await benchRedis();
const masters = await controlMasters();
let agent: ChildProcess | null = null;
process.once('exit', () => {
  agent?.kill('SIGKILL');
  for (const host of fleet.hosts) host.process?.kill('SIGKILL');
  masters.closeAllSync();
});
const env: NodeJS.ProcessEnv = {
  ...process.env,
  HOME: work,
  FLEET_REDIS_URL: redis.url,
  FLEET_PREFIX: '{bench}',
  FLEET_STATE_DIR: join(work, 'state'),
  FLEET_SSH_CONFIG: fleet.sshConfig,
};
const hostsFile = join(work, 'hosts');
await writeFile(hostsFile, `${fleet.entries.slice(0, HOSTS).join('\n')}\n`);

// fleet's remote command for `true`, as the SSH executor sends it (the watcher's times are the defaults').
const spec: RunSpec<HostCommandSpec> = {
  command: { kind: 'shell', line: 'true' },
  workdir: null,
  env: {},
  timeoutMs: null,
  connectTimeoutMs: 10_000,
  maxOutputBytes: 1 << 20,
};
const wrapper = buildRemoteCommand(spec, { silenceSeconds: 45, graceSeconds: 5 });
const header = buildRemoteInput(spec);

const dir = await masters.dir('profile');
const ssh = ['ssh', '-F', fleet.sshConfig, ...masters.options(dir)];
const xargs = (remote: string) => ['-a', hostsFile, '-P', '32', '-I{}', ...ssh, '{}', remote];
// The wrapper reads its header, then its watcher waits on the input until the command has ended:
// ssh-held-input.ts keeps each ssh's input open, as the agent keeps a channel's.
const headerFile = join(work, 'header');
await writeFile(headerFile, header);
const heldInput = [bundled('ssh-held-input'), hostsFile, headerFile, wrapper, '-F', fleet.sshConfig, ...masters.options(dir)];
agent = spawn(process.execPath, [FLEET, 'agent'], { env, stdio: 'ignore' });
await until(async () => (await timedRun(process.execPath, [FLEET, 'agents', '--json'], { env }).catch(() => null)) !== null, {
  what: 'the agent to answer',
});
// BENCH_CPU_PROF=DIR: V8 CPU profiles of the CLI's timed runs, written into DIR.
const cpuProf = process.env.BENCH_CPU_PROF;
const profArgs = cpuProf === undefined ? [] : ['--cpu-prof', `--cpu-prof-dir=${cpuProf}`];
const fleetArgs = [...profArgs, FLEET, 'invoke', '-f', hostsFile, '--throttle', '32', '--', 'true'];
log('warming every tool once');
await timedRun('xargs', xargs('true'), { env });
await timedRun(process.execPath, heldInput, { env });
await timedRun(process.execPath, fleetArgs, { env });

/** A process's CPU seconds so far (utime + stime). */
async function processCpu(pid: number): Promise<number> {
  const fields = (await readFile(`/proc/${pid}/stat`, 'utf8')).split(') ')[1]!.split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100; // USER_HZ
}
/** CPU seconds so far: the whole machine's, the agent's, Redis's, the ControlMasters'. */
async function cpuNow(): Promise<{ machine: number; agent: number; redis: number; masters: number }> {
  const ticks = 100; // USER_HZ
  const machine = (await readFile('/proc/stat', 'utf8')).split('\n')[0]!.split(/\s+/).slice(1, 8).map(Number);
  const busy = machine[0]! + machine[1]! + machine[2]! + machine[5]! + machine[6]!;
  const client = redis.client();
  const info = await client.info('cpu');
  client.disconnect();
  const field = (name: string) => Number(new RegExp(`${name}:([\\d.]+)`).exec(info)?.[1] ?? 0);
  return {
    machine: busy / ticks,
    agent: await processCpu(agent!.pid!),
    masters: await mastersCpu(),
    redis: field('used_cpu_sys') + field('used_cpu_user'),
  };
}
type Sample = { wall: number; machine: number; agent: number; redis: number; cli: number; masters: number };
/**
 * One run, timed, with the CPU it cost. The command's own, with every process
 * it waited for (xargs: the ssh clients), through /usr/bin/time.
 */
async function measured(command: string, args: string[]): Promise<Sample> {
  const before = await cpuNow();
  const timesFile = join(work, 'cli-times');
  const wall = await timedRun('/usr/bin/time', ['-f', '%U %S', '-o', timesFile, command, ...args], { env });
  const after = await cpuNow();
  const cli = (await readFile(timesFile, 'utf8'))
    .trim()
    .split('\n')
    .pop()!
    .split(' ')
    .map(Number)
    .reduce((a, b) => a + b, 0);
  const delta = (key: 'machine' | 'agent' | 'redis' | 'masters') => after[key] - before[key];
  return { wall, machine: delta('machine'), agent: delta('agent'), redis: delta('redis'), masters: delta('masters'), cli };
}

// The ControlMasters are the controller's too: their pids, for their CPU time.
const masterPids = fleet.entries
  .slice(0, HOSTS)
  .map((host) => Number(/pid=(\d+)/.exec(spawnSync('ssh', [...ssh.slice(1), '-O', 'check', host], { encoding: 'utf8' }).stderr)?.[1] ?? 0))
  .filter((pid) => pid > 0);
const mastersCpu = async () => {
  let seconds = 0;
  for (const pid of masterPids) seconds += await processCpu(pid).catch(() => 0);
  return seconds;
};

const runs = { xargs: [] as Sample[], wrapper: [] as Sample[], fleet: [] as Sample[], node: [] as Sample[] };
for (let round = 0; round < ROUNDS; round += 1) {
  runs.xargs.push(await measured('xargs', xargs('true')));
  runs.wrapper.push(await measured(process.execPath, heldInput));
  runs.fleet.push(await measured(process.execPath, fleetArgs));
  runs.node.push(await measured(process.execPath, ['-e', '0']));
  log(
    `round ${round + 1}: ${Object.entries(runs)
      .map(([tool, samples]) => `${tool} ${samples.at(-1)?.wall.toFixed(2)} s`)
      .join(', ')}`,
  );
}
// BENCH_MONITOR=FILE: one more fleet run with Redis's MONITOR written to FILE (every command, by client).
if (process.env.BENCH_MONITOR !== undefined) {
  const { openSync } = await import('node:fs');
  const monitor = spawn('redis-cli', ['-u', redis.url, 'monitor'], {
    stdio: ['ignore', openSync(process.env.BENCH_MONITOR, 'w'), 'ignore'],
  });
  await new Promise((resolve) => setTimeout(resolve, 500));
  await timedRun(process.execPath, fleetArgs, { env });
  await new Promise((resolve) => setTimeout(resolve, 500));
  monitor.kill('SIGTERM');
}
const med = (samples: Sample[], key: keyof Sample) => median(samples.map((sample) => sample[key]));
const ms = (seconds: number) => `${Math.round(seconds * 1000)} ms`;
const row = (name: string, samples: Sample[]) => {
  const controller = ['agent', 'redis', 'cli', 'masters'] as const;
  const own = controller.reduce((sum, key) => sum + med(samples, key), 0);
  const cells = [
    med(samples, 'wall'),
    med(samples, 'machine'),
    ...controller.map((key) => med(samples, key)),
    own,
    med(samples, 'machine') - own,
  ];
  return `| ${name} | ${cells.map(ms).join(' | ')} | ${((own / HOSTS) * 1000).toFixed(1)} ms |`;
};
const lines = [
  `# Warm ${HOSTS} hosts: where the time goes`,
  '',
  `${ROUNDS} rounds, medians, \`true\` at parallelism 32 over connections already open, on ${cpus().length} cores.`,
  '',
  "CPU is the whole machine's during the run. The controller's share is what a real fleet's",
  'controller would pay: the agent, Redis and the CLI for fleet; the ssh clients (counted',
  "by the process that waits for them: xargs, or ssh-held-input) and the ControlMasters. The hosts' share (sshd",
  "and what it starts) is the rest: here every host shares this machine's cores with the",
  'controller, which on a real fleet it does not.',
  '',
  '| run | wall | CPU | agent | Redis | CLI or xargs + ssh | ControlMasters | controller | hosts | controller per host |',
  '|---|---|---|---|---|---|---|---|---|---|',
  row('`xargs ssh` over a ControlMaster, `true`', runs.xargs),
  row("the same, fleet's remote command for `true`", runs.wrapper),
  row('`fleet invoke -- true`', runs.fleet),
  row('`node -e 0`', runs.node),
  '',
];
await writeFile(reportFile('WARM-PROFILE.md'), lines.join('\n'));
process.stdout.write(lines.join('\n'));
await masters.close(dir);
await rm(work, { recursive: true, force: true });
process.exit(0);
