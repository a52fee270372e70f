// More agents must never make a warm fan-out slower (issue 20): the same warm
// run of `fleet invoke -- true` over BENCH_AGENT_HOSTS loopback sshd hosts,
// with 1, 2 and 4 agents on this machine, beside `xargs ssh` over
// ControlMaster, in one run, the order rotating each round. Each run starts
// its agents afresh, fans out once untimed (every agent opens the
// connections of the hosts routed to it: connection affinity), then times
// the second fan-out. Writes its section of bench/RESULTS.md. Not part of
// npm test. `BENCH_ONLY=agent-count.ts npm run bench`.
//
// Settings (environment): BENCH_AGENT_HOSTS (default 300), BENCH_AGENT_COUNTS
// (default 1,2,4), BENCH_ROUNDS (default 3), BENCH_OUT_DIR.
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { cpus, totalmem, tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { until } from '../test/support/poll.js';
import { startSshFleet } from '../test/support/ssh-fleet.js';
import { controlMasters } from './control-masters.js';
import { FLEET, reportFile } from './paths.js';
import { benchEnv, benchRedis } from './redis.js';
import { timedRun } from './timed.js';
import { median, targetTable, timeTable, withSection, type Series, type Target } from './report.js';

const run = promisify(execFile);
const HOSTS = Number(process.env.BENCH_AGENT_HOSTS ?? 300);
const AGENT_COUNTS = (process.env.BENCH_AGENT_COUNTS ?? '1,2,4').split(',').map(Number);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const log = (line: string) => process.stderr.write(`bench: ${line}\n`);

const work = await mkdtemp(join(tmpdir(), 'fleet-agent-count-'));
log(`starting ${HOSTS} sshd hosts`);
const fleet = await startSshFleet(HOSTS, { sshdOptions: ['MaxStartups=100:30:200'] });
const redis = await benchRedis();
const masters = await controlMasters();
const agents: ChildProcess[] = [];
process.once('exit', () => {
  for (const agent of agents) agent.kill('SIGKILL');
  for (const host of fleet.hosts) host.process?.kill('SIGKILL');
  masters.closeAllSync();
});
const env = benchEnv(work, redis, { FLEET_SSH_CONFIG: fleet.sshConfig });
await mkdir(env.HOME as string);
const hostsFile = join(work, 'hosts');
await writeFile(hostsFile, `${fleet.entries.join('\n')}\n`);

const timed = (command: string, args: string[]) => timedRun(command, args, { env });

async function startAgents(count: number): Promise<void> {
  const started = Array.from({ length: count }, () => spawn(process.execPath, [FLEET, 'agent'], { env, stdio: 'ignore' }));
  agents.push(...started);
  await until(
    async () => {
      const listed = JSON.parse((await run(process.execPath, [FLEET, 'agents', '--json'], { env })).stdout) as { pid: number }[];
      return started.every((agent) => listed.some((entry) => entry.pid === agent.pid));
    },
    { what: `${count} agents to register`, timeoutMs: 60_000 },
  );
}

async function stopAgents(): Promise<void> {
  await Promise.all(
    agents.splice(0).map(async (agent) => {
      const exited = new Promise((resolve) => agent.once('exit', resolve));
      agent.kill('SIGTERM');
      await exited;
    }),
  );
}

const invoke = () => timed(process.execPath, [FLEET, 'invoke', '-f', hostsFile, '--throttle', '32', '--quiet', '--', 'true']);

type Runner = { name: string; warm: () => Promise<number> };
const runners: Runner[] = [
  ...AGENT_COUNTS.map((count) => ({
    name: `fleet, ${count} agent${count === 1 ? '' : 's'}`,
    async warm() {
      await startAgents(count);
      await invoke();
      const seconds = await invoke();
      await stopAgents();
      return seconds;
    },
  })),
  {
    name: 'xargs + ssh ControlMaster',
    async warm() {
      const dir = await masters.dir('xargs');
      const args = ['-a', hostsFile, '-P', '32', '-I{}', 'ssh', '-F', fleet.sshConfig, ...masters.options(dir), '{}', 'true'];
      await timed('xargs', args);
      const seconds = await timed('xargs', args);
      await masters.close(dir);
      return seconds;
    },
  },
];

const runs = new Map<string, number[]>(runners.map((runner) => [runner.name, []]));
for (let round = 0; round < ROUNDS; round += 1) {
  const order = [...runners.slice(round % runners.length), ...runners.slice(0, round % runners.length)];
  for (const runner of order) {
    const seconds = await runner.warm();
    runs.get(runner.name)?.push(seconds);
    log(`${HOSTS} hosts warm, round ${round + 1}: ${runner.name} ${seconds.toFixed(2)} s`);
  }
}
await redis.stop();
await fleet.close();
masters.closeAllSync();
await rm(work, { recursive: true, force: true });

const series: Series[] = runners.map((runner) => ({ tool: runner.name, runs: runs.get(runner.name) ?? [] }));
const one = median(series[0]?.runs ?? []);
const targets: Target[] = series.slice(1, AGENT_COUNTS.length).map((entry) => ({
  what: `warm ${HOSTS} hosts: ${entry.tool} over ${series[0]?.tool}`,
  value: median(entry.runs) / one,
  bound: 1.1,
  unit: '×',
}));
const section = `## More agents, the same warm fan-out

One run of \`bench/agent-count.ts\` (${new Date().toISOString()}; ${cpus().length} x ${cpus()[0]?.model ?? 'CPU'}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB; Node ${process.version}): ${ROUNDS} rounds of a warm \`fleet invoke --throttle 32 -- true\` over ${HOSTS} loopback sshd hosts, each after an untimed fan-out by the same fresh agents, all of them on this machine; \`xargs ssh\` over ControlMaster (-P 32) for reference; order rotating each round.

${timeTable(series, series[0]?.tool)}

${targetTable(targets)}
`;
const file = reportFile('RESULTS.md');
await writeFile(file, withSection(await readFile(file, 'utf8').catch(() => ''), 'agent-count', section));
process.stdout.write(section);
