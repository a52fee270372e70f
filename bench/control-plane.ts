// fleet's control plane against BullMQ's own limit (issue 20): a fan-out of
// BENCH_CHILDREN children whose command is never run (agents started with
// `fleet agent --run-nothing`: no SSH, no process), with 1 and 4 agents,
// beside bare BullMQ adding and processing as many no-op jobs with 1 and 4
// worker processes (bench/bare-bullmq.ts, at the agent's concurrency), on the
// same Redis, in the same run, alternating. And what a finished child costs
// that Redis: bytes held (INFO used_memory before and after) and commands
// sent (INFO commandstats). Writes its section of bench/RESULTS.md. Not part
// of npm test. `BENCH_ONLY=control-plane.ts npm run bench`.
//
// fleet is timed as a user runs it: `fleet invoke -f HOSTS --as-job -- true`
// then `fleet wait`, each from spawn to exit (the CLIs' starts, the signing
// of every child, the wait for the end), with --throttle at the whole
// fan-out so that the throttle is not what is measured. Bare BullMQ is timed from its first addBulk to its last
// completion, in this process.
//
// Settings (environment): BENCH_CHILDREN (default 10,000), BENCH_ROUNDS
// (default 3), BENCH_AGENT_COUNTS (default 1,4), BENCH_OUT_DIR.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { cpus, totalmem, tmpdir } from 'node:os';
import { join } from 'node:path';
import { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import { until } from '../test/support/poll.js';
import { bundled, FLEET, reportFile } from './paths.js';
import { benchEnv, benchRedis } from './redis.js';
import { median, targetTable, withSection, type Target } from './report.js';

const CHILDREN = Number(process.env.BENCH_CHILDREN ?? 10_000);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const AGENT_COUNTS = (process.env.BENCH_AGENT_COUNTS ?? '1,4').split(',').map(Number);
/** The agent's default concurrency (DEFAULTS.agentConcurrency), which the bare workers use too. */
const CONCURRENCY = 64;
const BARE_QUEUE = 'bare-bench';
const log = (line: string) => process.stderr.write(`bench: ${line}\n`);

const work = await mkdtemp(join(tmpdir(), 'fleet-control-plane-'));
const redis = await benchRedis();
const sshConfig = join(work, 'ssh_config');
await writeFile(sshConfig, '');
const env = benchEnv(work, redis, { FLEET_SSH_CONFIG: sshConfig });
await mkdir(env.HOME as string);
const running: ChildProcess[] = [];
process.once('exit', () => {
  for (const child of running) child.kill('SIGKILL');
});
const client: Redis = redis.client();
const hostsFile = join(work, 'hosts');
await writeFile(hostsFile, Array.from({ length: CHILDREN }, (_, index) => `node${String(index + 1).padStart(5, '0')}\n`).join(''));

/** Runs `fleet ARGS`; its stdout, and its wall time in seconds. Fails the bench if it fails. */
async function fleet(args: string[]): Promise<{ stdout: string; seconds: number }> {
  const began = performance.now();
  const child = spawn(process.execPath, [FLEET, ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (stderr = (stderr + chunk.toString()).slice(-2000)));
  const code = await new Promise<number | null>((resolve) => child.once('close', resolve));
  if (code !== 0) throw new Error(`fleet ${args.slice(0, 4).join(' ')} exited ${code}: ${stderr}`);
  return { stdout, seconds: (performance.now() - began) / 1000 };
}

/** Starts `count` processes and waits until each is ready; returns them. */
async function startAll(count: number, start: () => ChildProcess, ready: (pids: number[]) => Promise<boolean>): Promise<ChildProcess[]> {
  const started = Array.from({ length: count }, start);
  running.push(...started);
  await until(() => ready(started.map((child) => child.pid as number)), { what: `${count} processes to be ready`, timeoutMs: 60_000 });
  return started;
}

async function stopAll(children: ChildProcess[]): Promise<void> {
  await Promise.all(
    children.map(async (child) => {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      await exited;
      running.splice(running.indexOf(child), 1);
    }),
  );
}

const agentsReady = async (pids: number[]) => {
  const listed = JSON.parse((await fleet(['agents', '--json'])).stdout) as { pid: number }[];
  return pids.every((pid) => listed.some((agent) => agent.pid === pid));
};

/** Redis's own counters: bytes in use, and commands served so far. */
async function redisCounters(): Promise<{ bytes: number; commands: number }> {
  const memory = await client.info('memory');
  const stats = await client.info('commandstats');
  const commands = [...stats.matchAll(/calls=(\d+)/g)].reduce((sum, match) => sum + Number(match[1]), 0);
  return { bytes: Number(/used_memory:(\d+)/.exec(memory)?.[1]), commands };
}

interface Round {
  seconds: number;
  bytesPerChild: number;
  commandsPerChild: number;
}

const queueClient = redis.client();
const queue = new Queue(BARE_QUEUE, { connection: queueClient });

async function bareRound(): Promise<Round> {
  await queue.obliterate({ force: true });
  const before = await redisCounters();
  const began = performance.now();
  for (let first = 0; first < CHILDREN; first += 1000) {
    const batch = Array.from({ length: Math.min(1000, CHILDREN - first) }, (_, index) => ({ name: 'noop', data: { host: first + index } }));
    await queue.addBulk(batch);
  }
  await until(async () => (await queue.getJobCounts('completed')).completed === CHILDREN, {
    what: 'the bare jobs to complete',
    intervalMs: 10,
    timeoutMs: 600_000,
  });
  const seconds = (performance.now() - began) / 1000;
  const after = await redisCounters();
  await queue.obliterate({ force: true });
  return {
    seconds,
    bytesPerChild: (after.bytes - before.bytes) / CHILDREN,
    commandsPerChild: (after.commands - before.commands) / CHILDREN,
  };
}

async function fleetRound(): Promise<Round> {
  const before = await redisCounters();
  // --as-job and wait: the job is kept once it has ended, so that what it holds can be weighed.
  const started = await fleet(['invoke', '-f', hostsFile, '--throttle', String(CHILDREN), '--as-job', '--json', '--', 'true']);
  const { id } = JSON.parse(started.stdout) as { id: number };
  const waited = await fleet(['wait', String(id), '--quiet']);
  const seconds = started.seconds + waited.seconds;
  const after = await redisCounters();
  const [job] = JSON.parse((await fleet(['get', String(id), '--json'])).stdout) as { id: number; state: string }[];
  if (job?.state !== 'Completed') throw new Error(`the fan-out ended ${job?.state}, not Completed`);
  await fleet(['remove', String(job.id)]);
  return {
    seconds,
    bytesPerChild: (after.bytes - before.bytes) / CHILDREN,
    commandsPerChild: (after.commands - before.commands) / CHILDREN,
  };
}

const results: { count: number; bare: Round[]; fleet: Round[] }[] = [];
// One fan-out first, timed by no one: the key and the CLI's first start.
{
  const agents = await startAll(1, () => spawn(process.execPath, [FLEET, 'agent', '--run-nothing'], { env, stdio: 'ignore' }), agentsReady);
  await fleetRound();
  await stopAll(agents);
}
for (const count of AGENT_COUNTS) {
  log(`${count} agent(s) and ${count} bare worker(s)`);
  const agents = await startAll(
    count,
    () => spawn(process.execPath, [FLEET, 'agent', '--run-nothing'], { env, stdio: 'ignore' }),
    agentsReady,
  );
  let readyWorkers = 0;
  const workers = await startAll(
    count,
    () => {
      const worker = spawn(process.execPath, [bundled('bare-bullmq'), redis.url, BARE_QUEUE, String(CONCURRENCY)], {
        stdio: ['ignore', 'pipe', 'inherit'],
      });
      worker.stdout?.once('data', () => (readyWorkers += 1));
      return worker;
    },
    () => Promise.resolve(readyWorkers === count),
  );
  const entry = { count, bare: [] as Round[], fleet: [] as Round[] };
  for (let round = 0; round < ROUNDS; round += 1) {
    const bare = await bareRound();
    entry.bare.push(bare);
    log(`round ${round + 1}: bare BullMQ ${(CHILDREN / bare.seconds).toFixed(0)} jobs/s`);
    const fleetRun = await fleetRound();
    entry.fleet.push(fleetRun);
    log(`round ${round + 1}: fleet ${(CHILDREN / fleetRun.seconds).toFixed(0)} children/s`);
  }
  results.push(entry);
  await stopAll([...agents, ...workers]);
}
await queue.close();
queueClient.disconnect();
client.disconnect();
await redis.stop();
await rm(work, { recursive: true, force: true });

const rate = (rounds: Round[]) => CHILDREN / median(rounds.map((round) => round.seconds));
const per = (rounds: Round[], field: 'bytesPerChild' | 'commandsPerChild') => median(rounds.map((round) => round[field]));
const rows = results.flatMap(({ count, bare, fleet: ours }) => [
  `| bare BullMQ, ${count} worker process${count === 1 ? '' : 'es'} | ${Math.round(rate(bare)).toLocaleString('en')} jobs/s | ${Math.round(per(bare, 'bytesPerChild')).toLocaleString('en')} | ${per(bare, 'commandsPerChild').toFixed(1)} |`,
  `| fleet, ${count} agent${count === 1 ? '' : 's'} (\`--run-nothing\`) | ${Math.round(rate(ours)).toLocaleString('en')} children/s | ${Math.round(per(ours, 'bytesPerChild')).toLocaleString('en')} | ${per(ours, 'commandsPerChild').toFixed(1)} |`,
]);
const targets: Target[] = results.map(({ count, bare, fleet: ours }) => ({
  what: `control plane, ${count} agent${count === 1 ? '' : 's'}: fleet's children/s over bare BullMQ's jobs/s`,
  value: rate(ours) / rate(bare),
  bound: 0.5,
  unit: '×',
  kind: 'min',
}));
const section = `## Control plane: fleet against BullMQ's own limit

One run of \`bench/control-plane.ts\` (${new Date().toISOString()}; ${cpus().length} x ${cpus()[0]?.model ?? 'CPU'}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB; Node ${process.version}): ${ROUNDS} rounds of ${CHILDREN.toLocaleString('en')} children that run nothing (\`fleet agent --run-nothing\`), timed from the CLI's spawn to its exit (\`fleet invoke -f HOSTS --throttle ${CHILDREN} --as-job -- true\`, then \`fleet wait\`), beside bare BullMQ adding (\`addBulk\`, 1,000 a call) and processing as many no-op jobs at concurrency ${CONCURRENCY} a process, on one Redis without AOF, alternating. Redis cost is the median over rounds of the change in \`used_memory\` (bytes held once every child has ended, before \`fleet remove\`) and in \`INFO commandstats\` calls (every client: CLI, agents, heartbeats), divided by the children.

| run | rate (median) | Redis bytes per child | Redis commands per child |
|---|---|---|---|
${rows.join('\n')}

${targetTable(targets)}
`;
const file = reportFile('RESULTS.md');
await writeFile(file, withSection(await readFile(file, 'utf8').catch(() => ''), 'control-plane', section));
process.stdout.write(section);
