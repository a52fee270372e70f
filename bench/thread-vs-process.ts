// Thread jobs against process jobs: the time from start to Completed for a
// trivial job (`return 1` in a thread, `true` in a process), both through the
// same running agent, alternating, measured two ways:
//  - queue path: create the job and dispatch it from this process (the
//    library the CLI uses) until the agent's finish event arrives;
//  - CLI: `fleet start --json` then `fleet wait`, as a user would type it
//    (two Node processes start per run, which dominates).
// Writes bench/thread-vs-process.md. Not part of npm test.
//
// Settings (environment): BENCH_ROUNDS (queue-path runs of each kind, default
// 30), BENCH_CLI_ROUNDS (CLI runs of each kind, default 10), BENCH_OUT_DIR
// (where the report goes, default bench/).
import { execFile, spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { loadOrCreateSigningKey } from '@fleet/agent/signing-key-file';
import { jobSigner, resolveJobRequest, resolveSettings, type JobRequestOptions } from '@fleet/core';
import { FleetStore } from '@fleet/store';
import { Redis } from 'ioredis';
import { until } from '../test/support/poll.js';
import { FLEET, reportFile } from './paths.js';
import { benchRedis } from './redis.js';
import { median, range } from './report.js';

type Kind = 'thread' | 'process';

const run = promisify(execFile);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 30);
const CLI_ROUNDS = Number(process.env.BENCH_CLI_ROUNDS ?? 10);

const redis = await benchRedis();
const prefix = '{bench-thread}';
const home = await mkdtemp(join(tmpdir(), 'fleet-bench-'));
const env = { ...process.env, FLEET_REDIS_URL: redis.url, FLEET_PREFIX: prefix, HOME: home, FLEET_DEPLOYMENT: 'bench' };
// Signed as the CLI signs: the agent runs as the same user (HOME) and trusts this key.
const signingKey = await loadOrCreateSigningKey(resolveSettings({ env, homeDir: home }).signingKeyPath);
const agent = spawn(process.execPath, [FLEET, 'agent'], { env, stdio: 'ignore' });
const client = new Redis(redis.url);
const subscriber = new Redis(redis.url);
const store = new FleetStore({ client, prefix, heartbeatTtlMs: 10_000 });
try {
  await until(async () => (await store.agents.list()).length > 0, { what: 'the agent to register' });
  const finished = new Map<number, () => void>();
  await subscriber.subscribe(store.keys.finishedChannel);
  subscriber.on('message', (_channel, id) => finished.get(Number(id))?.());

  const kinds: Record<Kind, JobRequestOptions> = {
    thread: { type: 'thread', command: { kind: 'thread', source: 'eval', name: '', code: 'return 1', args: [] } },
    process: { type: 'process', command: { kind: 'shell', line: 'true' } },
  };
  const queuePath = async (kind: Kind): Promise<number> => {
    const request = resolveJobRequest(kinds[kind]);
    const began = performance.now();
    const { job, dispatchIds } = await store.jobs.create(request, jobSigner(signingKey, Date.now() + 60_000, env.FLEET_DEPLOYMENT));
    const done = new Promise<void>((resolve) => finished.set(job.id, resolve));
    await store.dispatcher.dispatch(dispatchIds);
    await done;
    const ms = performance.now() - began;
    const [record] = await store.jobs.records([job.id]);
    if (record?.view.state !== 'Completed') throw new Error(`${kind} job ${job.id} ended ${record?.view.state}`);
    return ms;
  };
  const cliPath = async (kind: Kind): Promise<number> => {
    const args = kind === 'thread' ? ['start', '--thread', '--json', '--eval', 'return 1'] : ['start', '--json', '--', 'true'];
    const began = performance.now();
    const { stdout } = await run(process.execPath, [FLEET, ...args], { env });
    await run(process.execPath, [FLEET, 'wait', String((JSON.parse(stdout) as { id: number }).id)], { env });
    return performance.now() - began;
  };

  const measure = async (fn: (kind: Kind) => Promise<number>, rounds: number): Promise<Record<Kind, number[]>> => {
    const times: Record<Kind, number[]> = { thread: [], process: [] };
    for (let i = 0; i < 3; i += 1) for (const kind of ['thread', 'process'] as const) await fn(kind); // warm-up
    for (let i = 0; i < rounds; i += 1) {
      const order = i % 2 === 0 ? (['thread', 'process'] as const) : (['process', 'thread'] as const);
      for (const kind of order) times[kind].push(await fn(kind));
    }
    return times;
  };
  const queue = await measure(queuePath, ROUNDS);
  const cli = await measure(cliPath, CLI_ROUNDS);

  const row = (label: string, times: Record<Kind, number[]>, rounds: number): string => {
    const thread = median(times.thread);
    const proc = median(times.process);
    return `| ${label} | ${rounds} | ${thread.toFixed(1)} (${range(times.thread)}) | ${proc.toFixed(1)} (${range(times.process)}) | ${(proc / thread).toFixed(2)}x |`;
  };
  const { stdout: redisVersion } = await run('redis-server', ['--version']);
  const report = `# Thread jobs against process jobs

The time from start to Completed for a trivial job: \`return 1\` in a thread
job, \`true\` in a process job, both through the same running agent, runs
alternating. Milliseconds: median (min-max).

- Queue path: create and dispatch from the benchmark process (the library
  the CLI uses) until the agent publishes the job's end.
- CLI: \`fleet start --json\` then \`fleet wait\`, two Node processes per run.

| path | runs | thread job | process job | process / thread |
|---|---|---|---|---|
${row('queue path', queue, ROUNDS)}
${row('CLI', cli, CLI_ROUNDS)}

Machine: ${cpus().length} x ${cpus()[0]?.model ?? 'unknown CPU'}, Node ${process.version}, ${redisVersion.trim().split(' ').slice(0, 3).join(' ')}.
Run: ${new Date().toISOString()} (\`npm run bench\`).
`;
  await writeFile(reportFile('thread-vs-process.md'), report);
  process.stdout.write(report);
} finally {
  agent.kill('SIGTERM');
  await new Promise((resolve) => agent.once('exit', resolve));
  subscriber.disconnect();
  client.disconnect();
  await store.close();
  await redis.stop();
  await rm(home, { recursive: true, force: true });
}
