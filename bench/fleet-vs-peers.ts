// fleet against pssh, clush, Ansible and the bare limits of its own stack, on
// the tests' loopback sshd fleet, in one run, tools alternating. Writes
// bench/RESULTS.md and bench/fanout.svg. Not part of npm test.
//
// Settings (environment): BENCH_HOSTS (host counts, default 100,500,1000),
// BENCH_ROUNDS (runs per tool and phase, default 3), BENCH_ANSIBLE_MAX (the
// largest fleet Ansible is run on, default 100: it takes minutes beyond),
// BENCH_LOCAL (local children, default 1000), BENCH_OUTPUT_HOSTS and
// BENCH_OUTPUT_MB (default 100 hosts x 10 MB), BENCH_JUMP_HOSTS (targets
// behind one jump host, default 100; 0 skips it), BENCH_OUT_DIR (where the
// report and chart go, default bench/).
import { execFile, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { cpus, totalmem, tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { until } from '../test/support/poll.js';
import { addressOf, fleetLoginLines, startSshFleet, TEST_USER, type SshFleet } from '../test/support/ssh-fleet.js';
import { controlMasters } from './control-masters.js';
import { bundled, FLEET, reportFile } from './paths.js';
import { installPeers } from './peers.js';
import { benchRedis } from './redis.js';
import { timedRun } from './timed.js';
import { fanoutChart, median, sectionOf, targetTable, timeTable, withSection, type Series, type Target } from './report.js';

const run = promisify(execFile);
const HOST_COUNTS = (process.env.BENCH_HOSTS ?? '100,500,1000').split(',').map(Number);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const ANSIBLE_MAX = Number(process.env.BENCH_ANSIBLE_MAX ?? 100);
const LOCAL = Number(process.env.BENCH_LOCAL ?? 1000);
const OUTPUT_HOSTS = Number(process.env.BENCH_OUTPUT_HOSTS ?? 100);
const OUTPUT_MB = Number(process.env.BENCH_OUTPUT_MB ?? 10);
const JUMP_HOSTS = Number(process.env.BENCH_JUMP_HOSTS ?? 100);
const log = (line: string) => process.stderr.write(`bench: ${line}\n`);

installPeers(log);
const work = await mkdtemp(join(tmpdir(), 'fleet-bench-'));
const maxHosts = Math.max(...HOST_COUNTS, OUTPUT_HOSTS, JUMP_HOSTS);
// One host more than any run uses: the jump host, which no run addresses directly.
log(`starting ${maxHosts + 1} sshd hosts`);
const fleet: SshFleet = await startSshFleet(maxHosts + 1, { sshdOptions: ['MaxStartups=100:30:200'] });
const bastionAddress = addressOf(maxHosts);
const redis = await benchRedis();
const masters = await controlMasters();
let agent: ChildProcess | null = null;
// However the run ends, no sshd, agent or ControlMaster of its own outlives it.
process.once('exit', (code) => {
  // A failed run: say which sshd hosts had died, and what they wrote, before they go.
  if (code !== 0) {
    for (const host of fleet.hosts.filter((each) => each.process?.exitCode !== null || each.process?.signalCode !== null)) {
      log(
        `sshd ${host.address} ended (${host.process?.exitCode ?? host.process?.signalCode}): ${host.log.trim().split('\n').slice(-3).join(' / ')}`,
      );
    }
  }
  agent?.kill('SIGKILL');
  for (const host of fleet.hosts) host.process?.kill('SIGKILL');
  masters.closeAllSync();
});
const home = join(work, 'home');
await mkdir(home);
const env: NodeJS.ProcessEnv = {
  ...process.env,
  HOME: home,
  FLEET_REDIS_URL: redis.url,
  FLEET_PREFIX: '{bench}',
  FLEET_STATE_DIR: join(work, 'state'),
  ANSIBLE_HOST_KEY_CHECKING: 'False',
  ANSIBLE_LOCALHOST_WARNING: 'False',
  ANSIBLE_PYTHON_INTERPRETER: '/usr/bin/python3',
  ANSIBLE_NOCOLOR: '1',
};
const hostsFile = async (count: number) => {
  const file = join(work, `hosts-${count}`);
  await writeFile(file, `${fleet.entries.slice(0, count).join('\n')}\n`);
  return file;
};

async function stopAgent(): Promise<void> {
  const running = agent;
  if (!running) return;
  const exited = new Promise((resolve) => running.once('exit', resolve));
  running.kill('SIGTERM');
  await exited;
  agent = null;
}
/**
 * How the hosts are reached: straight, or through one jump host (`ProxyJump`
 * in the ssh_config every tool is given).
 */
interface Route {
  sshConfig: string;
  /** The jump host's address, for the bare loop, which reads no ssh_config; null when direct. */
  bastion: string | null;
}
const direct: Route = { sshConfig: fleet.sshConfig, bastion: null };
const jumpConfig = join(work, 'ssh_config-jump');
await writeFile(
  jumpConfig,
  [
    'Host fleet-bastion',
    `  HostName ${bastionAddress}`,
    'Host 127.0.* fleet-bastion',
    ...fleetLoginLines(fleet),
    '  ConnectTimeout 30',
    'Host 127.0.*',
    '  ProxyJump fleet-bastion',
    '',
  ].join('\n'),
);
const throughBastion: Route = { sshConfig: jumpConfig, bastion: bastionAddress };

/**
 * What every fleet command runs with: the route's ssh_config, as the agent
 * has it. A CLI that reads another one takes the agent for someone else's
 * and starts its own (ensure-agent.ts), which would take half the children.
 */
let fleetEnv: NodeJS.ProcessEnv = { ...env, FLEET_SSH_CONFIG: direct.sshConfig };

async function restartAgent(route: Route = direct): Promise<number> {
  await stopAgent();
  fleetEnv = { ...env, FLEET_SSH_CONFIG: route.sshConfig };
  agent = spawn(process.execPath, [FLEET, 'agent'], { env: fleetEnv, stdio: 'ignore' });
  const pid = agent.pid as number;
  await until(async () => (await run(process.execPath, [FLEET, 'agents', '--json'], { env: fleetEnv })).stdout.includes(`"pid":${pid}`), {
    what: 'the agent to register',
  });
  return pid;
}
async function peakRssMb(pid: number): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  return Number(/VmHWM:\s+(\d+) kB/.exec(status)?.[1]) / 1024;
}

const timed = (command: string, args: string[], options: { env?: NodeJS.ProcessEnv; input?: string } = {}) =>
  timedRun(command, args, { ...options, env: options.env ?? env });

/** `/usr/bin/time` around the fleet CLI, for its peak RSS. */
async function timedFleet(args: string[]): Promise<{ seconds: number; cliRssMb: number }> {
  const rssFile = join(work, 'cli-rss');
  const seconds = await timed('/usr/bin/time', ['-f', '%M', '-o', rssFile, process.execPath, FLEET, ...args], { env: fleetEnv });
  return { seconds, cliRssMb: Number((await readFile(rssFile, 'utf8')).trim().split('\n').pop()) / 1024 };
}

interface Phases {
  cold: number;
  warm: number;
}
/** Every run's time, by phase. */
type PhaseRuns = { [phase in keyof Phases]: number[] };
type Tool = {
  name: string;
  maxHosts?: number;
  /** Whether the tool is also measured through a jump host. */
  jumps?: boolean;
  run: (count: number, file: string, route: Route) => Promise<Partial<Phases>>;
};

const memory = new Map<number, { agentMb: number; cliMb: number }>();
const tools: Tool[] = [
  {
    name: 'fleet',
    jumps: true,
    async run(count, file, route) {
      const pid = await restartAgent(route);
      const cold = await timedFleet(['invoke', '-f', file, '--throttle', '32', '--', 'true']);
      const warm = await timedFleet(['invoke', '-f', file, '--throttle', '32', '--', 'true']);
      if (route !== direct) return { cold: cold.seconds, warm: warm.seconds };
      const seen = memory.get(count) ?? { agentMb: 0, cliMb: 0 };
      memory.set(count, {
        agentMb: Math.max(seen.agentMb, await peakRssMb(pid)),
        cliMb: Math.max(seen.cliMb, cold.cliRssMb, warm.cliRssMb),
      });
      return { cold: cold.seconds, warm: warm.seconds };
    },
  },
  {
    name: 'bare ssh2 loop',
    jumps: true,
    async run(_count, file, route) {
      const args = [bundled('bare-ssh2'), file, String(fleet.port), TEST_USER, fleet.clientKey];
      const bastion = route.bastion === null ? [] : [route.bastion];
      const cold = await timed(process.execPath, [...args, 'cold', ...bastion]);
      const { stdout } = await run(process.execPath, [...args, 'warm', ...bastion], { env, maxBuffer: 1 << 20 });
      return { cold, warm: Number(stdout.trim()) / 1000 };
    },
  },
  {
    name: 'pssh',
    jumps: true,
    async run(_count, file, route) {
      const base = ['-h', file, '-p', '32', '-t', '0'];
      const cold = await timed('parallel-ssh', [...base, '-x', `-F ${route.sshConfig}`, 'true']);
      const dir = await masters.dir('pssh');
      const viaMaster = [...base, '-x', [`-F ${route.sshConfig}`, ...masters.options(dir)].join(' '), 'true'];
      await timed('parallel-ssh', viaMaster);
      const warm = await timed('parallel-ssh', viaMaster);
      await masters.close(dir);
      return { cold, warm };
    },
  },
  {
    name: 'clush',
    jumps: true,
    async run(count, _file, route) {
      const nodes = fleet.entries.slice(0, count).join(',');
      const base = ['-f', '32', '-w', nodes, '-q'];
      const cold = await timed('clush', [...base, '-o', `-F ${route.sshConfig}`, 'true']);
      const dir = await masters.dir('clush');
      // clush reads -o through Python's ConfigParser: a literal % is %%.
      const viaMaster = [...base, '-o', [`-F ${route.sshConfig}`, ...masters.options(dir)].join(' ').replace(/%/g, '%%'), 'true'];
      await timed('clush', viaMaster);
      const warm = await timed('clush', viaMaster);
      await masters.close(dir);
      return { cold, warm };
    },
  },
  {
    name: 'ansible',
    maxHosts: ANSIBLE_MAX,
    async run(count) {
      const inventory = join(work, `inventory-${count}`);
      await writeFile(
        inventory,
        `[fleet]\n${fleet.entries.slice(0, count).join('\n')}\n[fleet:vars]\nansible_ssh_common_args='-F ${fleet.sshConfig}'\n`,
      );
      const args = ['fleet', '-i', inventory, '-f', '32', '-m', 'command', '-a', 'true'];
      // Ansible's own ControlPersist: a fresh control directory is a cold start, the same one warm.
      const coldDir = await masters.dir('ansible-cold');
      const dir = await masters.dir('ansible');
      const cold = await timed('ansible', args, { env: { ...env, ANSIBLE_SSH_CONTROL_PATH_DIR: coldDir } });
      await timed('ansible', args, { env: { ...env, ANSIBLE_SSH_CONTROL_PATH_DIR: dir } });
      const warm = await timed('ansible', args, { env: { ...env, ANSIBLE_SSH_CONTROL_PATH_DIR: dir } });
      await masters.close(coldDir);
      await masters.close(dir);
      return { cold, warm };
    },
  },
  {
    name: 'xargs + ssh ControlMaster',
    async run(_count, file) {
      const dir = await masters.dir('xargs');
      const ssh = ['ssh', '-F', fleet.sshConfig, ...masters.options(dir), '{}', 'true'];
      const args = ['-a', file, '-P', '32', '-I{}', ...ssh];
      await timed('xargs', args);
      const warm = await timed('xargs', args);
      await masters.close(dir);
      return { warm };
    },
  },
];

/** Fan-out over `count` hosts: each round runs every tool once, in an order that rotates. */
async function fanOut(count: number, eligible: readonly Tool[], route: Route): Promise<Map<string, PhaseRuns>> {
  const file = await hostsFile(count);
  const byTool = new Map<string, PhaseRuns>();
  for (let round = 0; round < ROUNDS; round += 1) {
    const order = [...eligible.slice(round % eligible.length), ...eligible.slice(0, round % eligible.length)];
    for (const tool of order) {
      const phases = await tool.run(count, file, route);
      const entry = byTool.get(tool.name) ?? { cold: [], warm: [] };
      if (phases.cold !== undefined) entry.cold.push(phases.cold);
      if (phases.warm !== undefined) entry.warm.push(phases.warm);
      byTool.set(tool.name, entry);
      const where = route === direct ? '' : ' through the jump host';
      log(
        `${count} hosts${where}, round ${round + 1}: ${tool.name} cold ${phases.cold?.toFixed(2) ?? '-'} s, warm ${phases.warm?.toFixed(2) ?? '-'} s`,
      );
    }
  }
  return byTool;
}

const results = new Map<number, Map<string, PhaseRuns>>();
for (const count of HOST_COUNTS) {
  results.set(
    count,
    await fanOut(
      count,
      tools.filter((tool) => count <= (tool.maxHosts ?? Infinity)),
      direct,
    ),
  );
}
// Every target behind one jump host: fleet crosses it once, the peers once per target.
// The targets are on loopback, so first make sure fleet really goes through the
// jump host: with it down, no target may answer.
if (JUMP_HOSTS > 0) {
  await restartAgent(throughBastion);
  await fleet.stopHost(maxHosts);
  const bypassed = await timed(process.execPath, [FLEET, 'invoke', '-f', await hostsFile(2), '--', 'true'], { env: fleetEnv }).then(
    () => true,
    () => false,
  );
  await fleet.startHost(maxHosts);
  if (bypassed) throw new Error('fleet reached the targets with the jump host down: it does not go through it');
}
const jumped =
  JUMP_HOSTS > 0
    ? await fanOut(
        JUMP_HOSTS,
        tools.filter((tool) => tool.jumps),
        throughBastion,
      )
    : new Map<string, PhaseRuns>();

// Local children: fleet against a bare spawn loop and xargs.
const localFile = join(work, 'local');
await writeFile(localFile, 'localhost\n'.repeat(LOCAL));
await restartAgent();
const local: Series[] = [
  { tool: 'fleet', runs: [] },
  { tool: 'bare Node spawn loop', runs: [] },
  { tool: 'xargs -P 32 sh -c true', runs: [] },
];
const sequence = Array.from({ length: LOCAL }, (_, index) => String(index)).join('\n');
for (let round = 0; round < ROUNDS; round += 1) {
  local[0]?.runs.push((await timedFleet(['invoke', '-f', localFile, '--throttle', '32', '--', 'true'])).seconds);
  local[1]?.runs.push(await timed(process.execPath, [bundled('bare-spawn'), String(LOCAL)]));
  local[2]?.runs.push(await timed('xargs', ['-P', '32', '-n1', 'sh', '-c', 'true'], { input: sequence }));
  log(`local round ${round + 1} done`);
}

// CLI latency on an idle system.
const latency: Series[] = [
  { tool: 'fleet', runs: [] },
  { tool: 'node -e 0', runs: [] },
];
for (let round = 0; round < Math.max(10, ROUNDS * 2); round += 1) {
  latency[0]?.runs.push(await timed(process.execPath, [FLEET, 'get'], { env: fleetEnv }));
  latency[1]?.runs.push(await timed(process.execPath, ['-e', '0']));
}

// Output: every host writes OUTPUT_MB of 100-byte lines, through to the CLI's stdout.
const outputAgent = await restartAgent();
const outputFile = await hostsFile(OUTPUT_HOSTS);
const bytesPerHost = OUTPUT_MB * 1_000_000;
const outputSeconds = await timed(
  'sh',
  [
    '-c',
    `"$0" "$1" invoke -f "$2" --throttle 32 -- "head -c ${bytesPerHost} /dev/zero | tr '\\\\0' x | fold -w 99" | wc -c > "$3"`,
    process.execPath,
    FLEET,
    outputFile,
    join(work, 'output-bytes'),
  ],
  { env: fleetEnv },
);
const receivedBytes = Number((await readFile(join(work, 'output-bytes'), 'utf8')).trim());
// Lines of 99 bytes and a newline, each printed after `HOST: `.
const linesPerHost = Math.ceil(bytesPerHost / 99);
const expectedBytes = fleet.entries.slice(0, OUTPUT_HOSTS).reduce((sum, host) => sum + bytesPerHost + linesPerHost * (host.length + 3), 0);
const outputAgentMb = await peakRssMb(outputAgent);
const throughput = (OUTPUT_HOSTS * bytesPerHost) / 1e6 / outputSeconds;
// The bare limit: ssh2 connections that run the same command and discard its output.
const bareOutputSeconds = await timed(process.execPath, [
  bundled('bare-ssh2'),
  outputFile,
  String(fleet.port),
  TEST_USER,
  fleet.clientKey,
  'output',
  `head -c ${bytesPerHost} /dev/zero | tr '\\0' x | fold -w 99`,
]);
const bareThroughput = (OUTPUT_HOSTS * bytesPerHost) / 1e6 / bareOutputSeconds;
log(`output: ${receivedBytes} bytes printed in ${outputSeconds.toFixed(1)} s`);

// The agent needs Redis to shut down cleanly: let it go first.
await stopAgent();
await redis.stop();
await fleet.close();
masters.closeAllSync();
await rm(work, { recursive: true, force: true });

// The report.
const seriesOf = (byTool: Map<string, PhaseRuns> | undefined, phase: 'cold' | 'warm'): Series[] =>
  [...(byTool ?? new Map<string, PhaseRuns>()).entries()]
    .filter(([, runs]) => runs[phase].length > 0)
    .map(([tool, runs]) => ({ tool, runs: runs[phase] }));
const ratioOf = (all: readonly Series[], tool: string) => {
  const of = (name: string) => median(all.find((entry) => entry.tool === name)?.runs ?? [NaN]);
  return of('fleet') / of(tool);
};
const series = (count: number, phase: 'cold' | 'warm'): Series[] => seriesOf(results.get(count), phase);
const ratio = (count: number, phase: 'cold' | 'warm', tool: string) => ratioOf(series(count, phase), tool);
const targets: Target[] = [];
if (JUMP_HOSTS > 0) {
  const cold = seriesOf(jumped, 'cold');
  targets.push({ what: `jump host, cold ${JUMP_HOSTS}: fleet / pssh`, value: ratioOf(cold, 'pssh'), bound: 0.25, unit: '×' });
  targets.push({ what: `jump host, cold ${JUMP_HOSTS}: fleet / clush`, value: ratioOf(cold, 'clush'), bound: 0.25, unit: '×' });
  targets.push({
    what: `jump host, cold ${JUMP_HOSTS}: fleet / bare ssh2 loop through it`,
    value: ratioOf(cold, 'bare ssh2 loop'),
    bound: 1.3,
    unit: '×',
  });
}
// Issue 20's targets.
for (const count of HOST_COUNTS) {
  targets.push({ what: `cold ${count}: fleet / bare ssh2 loop`, value: ratio(count, 'cold', 'bare ssh2 loop'), bound: 1.2, unit: '×' });
  targets.push({ what: `cold ${count}: fleet / pssh`, value: ratio(count, 'cold', 'pssh'), bound: 0.3, unit: '×' });
  targets.push({ what: `cold ${count}: fleet / clush`, value: ratio(count, 'cold', 'clush'), bound: 0.3, unit: '×' });
}
if (HOST_COUNTS.includes(100)) {
  targets.push({
    what: 'warm 100: fleet / xargs + ssh ControlMaster',
    value: ratio(100, 'warm', 'xargs + ssh ControlMaster'),
    bound: 0.75,
    unit: '×',
  });
  targets.push({ what: 'warm 100: fleet / pssh (ahead of it)', value: ratio(100, 'warm', 'pssh'), bound: 1, unit: '×' });
  targets.push({ what: 'warm 100: fleet / clush (ahead of it)', value: ratio(100, 'warm', 'clush'), bound: 1, unit: '×' });
}
if (HOST_COUNTS.includes(1000)) {
  targets.push({
    what: 'warm 1000: fleet / xargs + ssh ControlMaster',
    value: ratio(1000, 'warm', 'xargs + ssh ControlMaster'),
    bound: 0.5,
    unit: '×',
  });
  targets.push({
    what: 'warm 1000: fleet / bare loop, kept connections',
    value: ratio(1000, 'warm', 'bare ssh2 loop'),
    bound: 1.5,
    unit: '×',
  });
}
targets.push({
  what: `${LOCAL} local children: fleet / bare spawn loop`,
  value: median(local[0]?.runs ?? []) / median(local[1]?.runs ?? []),
  bound: 1.5,
  unit: '×',
});
targets.push({
  what: '`fleet get`, idle / `node -e 0`',
  value: median(latency[0]?.runs ?? []) / median(latency[1]?.runs ?? []),
  bound: 1.6,
  unit: '×',
});
const largest = Math.max(...HOST_COUNTS);
const largestMemory = memory.get(largest);
if (largestMemory) {
  targets.push({ what: `${largest} hosts: agent peak RSS`, value: largestMemory.agentMb, bound: 300, unit: 'MB' });
  targets.push({ what: `${largest} hosts: CLI peak RSS`, value: largestMemory.cliMb, bound: 150, unit: 'MB' });
}
targets.push({ what: `output ${OUTPUT_HOSTS} x ${OUTPUT_MB} MB: throughput`, value: throughput, bound: 100, unit: 'MB/s', kind: 'min' });
targets.push({
  what: `output ${OUTPUT_HOSTS} x ${OUTPUT_MB} MB: fleet's throughput / the bare ssh2 loop's`,
  value: throughput / bareThroughput,
  bound: 0.6,
  unit: '×',
  kind: 'min',
});

const version = (command: string, args: string[]) => {
  const result = spawnSync(command, args, { encoding: 'utf8' });
  return `${result.stdout}${result.stderr}`.trim().split('\n')[0] ?? '';
};
const sections = HOST_COUNTS.flatMap((count) => [
  `### ${count} hosts, cold (no connection kept)\n\n${timeTable(series(count, 'cold'))}`,
  `### ${count} hosts, warm (each tool's best connection reuse)\n\n${timeTable(series(count, 'warm'))}`,
]);
const memoryRows = [...memory.entries()].map(([count, mb]) => `| ${count} | ${mb.agentMb.toFixed(0)} MB | ${mb.cliMb.toFixed(0)} MB |`);
const report = `# fleet against pssh, clush and Ansible

One run of \`npm run bench\` on the tests' loopback sshd fleet (one OpenSSH
sshd per host on 127.0.x.y, all on this machine), every tool at parallelism
32, tools alternating round by round. Absolute times on a shared 2-core
machine drift; the ratios within one run are what to compare. "tool / fleet"
above 1 means fleet was faster.

- Machine: ${cpus().length} x ${cpus()[0]?.model ?? 'unknown CPU'}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB.
- Versions: Node ${process.version}; ${version('redis-server', ['--version']).split(' ').slice(0, 3).join(' ')}; ${version('ssh', ['-V'])}; pssh ${version('parallel-ssh', ['--version'])}; ${version('clush', ['--version'])}; ${version('ansible', ['--version'])}.
- Run: ${new Date().toISOString()}, ${ROUNDS} rounds, ${HOST_COUNTS.join(', ')} hosts (${ANSIBLE_MAX > 0 ? `Ansible only up to ${ANSIBLE_MAX} hosts: it takes minutes beyond` : 'Ansible not run'}).
- fleet: \`fleet invoke -f HOSTS --throttle 32 -- true\`, the CLI's whole life, through an agent
  restarted before each cold run (so it holds no connections); warm is the run right after.
- Bare ssh2 loop: \`bench/bare-ssh2.ts\` (p-map 32, no queue, no Redis, no output handling); cold
  is its whole process, warm one round over connections it keeps.
- pssh and clush: cold with plain \`ssh\`; warm through an OpenSSH ControlMaster made by a run
  before. xargs: \`xargs -P 32 ssh\` over a ControlMaster. Ansible: \`ansible -f 32 -m command\`,
  cold with a fresh ControlPersist directory, warm with the one a run before made.
- Every sshd runs with \`MaxStartups 100:30:200\`, for every tool alike. Every run of every tool
  succeeded on every host: the bench stops at the first run that does not.

![cold and warm fan-out time against host count](fanout.svg)

## Targets

${targetTable(targets)}

## Fan-out of \`true\`

${sections.join('\n\n')}

### Peak memory (fleet)

| hosts | agent | CLI |
|---|---|---|
${memoryRows.join('\n')}

${
  JUMP_HOSTS > 0
    ? `## ${JUMP_HOSTS} hosts behind one jump host

Every tool is given the same ssh_config, in which every target has \`ProxyJump fleet-bastion\`
(one more sshd on loopback, with the same settings); the bare ssh2 loop opens one connection to
the jump host and forwards a channel through it per target. pssh and clush run \`ssh\`, which
opens a connection to the jump host for every target (warm: every target's ControlMaster holds
its own).

### cold

${timeTable(seriesOf(jumped, 'cold'))}

### warm

${timeTable(seriesOf(jumped, 'warm'))}

`
    : ''
}## ${LOCAL} \`localhost\` children running \`true\`

${timeTable(local)}

## CLI latency: \`fleet get\` on an idle system

${timeTable(latency)}

## Output: ${OUTPUT_HOSTS} hosts x ${OUTPUT_MB} MB of 100-byte lines, through to the CLI's stdout

${(OUTPUT_HOSTS * OUTPUT_MB).toFixed(0)} MB in ${outputSeconds.toFixed(1)} s: **${throughput.toFixed(1)} MB/s**; ${receivedBytes === expectedBytes ? 'every byte printed' : `**${receivedBytes} bytes printed, ${expectedBytes} expected**`} (with the \`HOST: \` prefixes); the agent's peak RSS ${outputAgentMb.toFixed(0)} MB. The bare ssh2 loop (the same command on fresh connections, its output read and discarded): ${bareOutputSeconds.toFixed(1)} s, ${bareThroughput.toFixed(1)} MB/s.
`;
const chart = fanoutChart(
  (['cold', 'warm'] as const).map((phase) => ({
    title: `${phase} fan-out of true (median s)`,
    lines: [...new Set(HOST_COUNTS.flatMap((count) => series(count, phase).map((entry) => entry.tool)))].map((tool) => ({
      tool,
      points: HOST_COUNTS.flatMap((count): [number, number][] => {
        const entry = series(count, phase).find((candidate) => candidate.tool === tool);
        return entry ? [[count, median(entry.runs)]] : [];
      }),
    })),
  })),
);
// The event stream's figure (bench/events-stream.ts) lives in the same file: keep it.
// The other benchmarks' sections of RESULTS.md stay as they were.
const previous = await readFile(reportFile('RESULTS.md'), 'utf8').catch(() => '');
const kept = ['agent-count', 'control-plane', 'events-stream'].reduce((whole, name) => {
  const section = sectionOf(previous, name);
  return section === null ? whole : withSection(whole, name, section);
}, report);
await writeFile(reportFile('RESULTS.md'), kept);
await writeFile(reportFile('fanout.svg'), chart);
process.stdout.write(report);
