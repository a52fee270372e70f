// GET /api/events: how many job events a second the SSE stream carries to a
// client, and what the events cost Redis. Writes its section of
// bench/RESULTS.md (between <!-- events-stream --> markers). Not part of
// npm test. `BENCH_ONLY=events-stream.ts npm run bench`; ~30 s.
//
// Settings (environment): BENCH_EVENTS (events per run, default 100,000),
// BENCH_ROUNDS (default 3), BENCH_EVENT_CHILDREN (the real fan-out whose
// events are weighed, default 200), BENCH_OUT_DIR.
//
// Throughput: events of the shape the transition script writes are added
// to the stream in pipelined XADD batches (agents cannot make them faster
// than ~250 children a second on this machine, which would measure the
// fan-out, not the stream); a client of `fleet serve` reads them. Two cases:
// a backlog (the client resumes from before all of them: reading, decoding,
// framing and sending only), and live (a writer adds them while the client
// follows, 1,000 an XADD pipeline).
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdir, mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { cpus, totalmem, tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Redis } from 'ioredis';
import { until } from '../test/support/poll.js';
import { FLEET, reportFile } from './paths.js';
import { benchEnv, benchRedis } from './redis.js';
import { median, withSection } from './report.js';

const EVENTS = Number(process.env.BENCH_EVENTS ?? 100_000);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const CHILDREN = Number(process.env.BENCH_EVENT_CHILDREN ?? 200);
const log = (line: string) => process.stderr.write(`bench: ${line}\n`);

const work = await mkdtemp(join(tmpdir(), 'fleet-events-bench-'));
const redis = await benchRedis();
const env = benchEnv(work, redis);
await mkdir(env.HOME as string);
const children: ChildProcess[] = [];
process.once('exit', () => {
  for (const child of children) child.kill('SIGKILL');
});
const client = redis.client();
const key = '{bench}:events';

/** `fleet serve` on a free port: its base URL and token. */
async function serve(): Promise<{ base: string; token: string; stop: () => Promise<void> }> {
  const child = spawn(process.execPath, [FLEET, 'serve', '--listen', '127.0.0.1:0'], { env, stdio: ['ignore', 'pipe', 'inherit'] });
  children.push(child);
  let stdout = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  const url = new URL(await until(() => (stdout.includes('\n') ? stdout.split('\n')[0] : undefined), { what: 'the URL' }));
  const exited = new Promise<void>((resolve) => child.once('close', () => resolve()));
  return {
    base: url.origin,
    token: url.searchParams.get('token') ?? '',
    stop: async () => {
      child.kill('SIGTERM');
      await exited;
    },
  };
}

/** Reads the stream until `count` events have come; resolves with the seconds from `startAt`. */
async function readEvents(server: { base: string; token: string }, query: string, count: number, opened: () => void): Promise<number> {
  const controller = new AbortController();
  const response = await fetch(`${server.base}/api/events${query}`, {
    headers: { authorization: `Bearer ${server.token}` },
    signal: controller.signal,
  });
  if (response.status !== 200 || !response.body) throw new Error(`GET /api/events: ${response.status}`);
  const reader: ReadableStreamDefaultReader<Uint8Array> = response.body.getReader();
  const decoder = new TextDecoder();
  const started = performance.now();
  opened();
  let seen = 0;
  let tail = '';
  while (seen < count) {
    const { value, done } = await reader.read();
    if (done) throw new Error(`the stream ended after ${seen} events`);
    const text = tail + decoder.decode(value, { stream: true });
    const messages = text.split('\n\n');
    tail = messages.pop() ?? '';
    seen += messages.filter((message) => message.startsWith('id: ')).length;
  }
  controller.abort();
  return (performance.now() - started) / 1000;
}

/** Adds `count` events shaped as the transition script writes a leaf's end, in pipelined batches. */
async function addEvents(writer: Redis, count: number): Promise<void> {
  for (let done = 0; done < count; done += 1000) {
    const pipeline = writer.pipeline();
    for (let index = done; index < Math.min(count, done + 1000); index += 1) {
      const id = String(2 + (index % 1000));
      pipeline.xadd(
        key,
        'MAXLEN',
        '~',
        1_000_000,
        '*',
        'k',
        'state',
        'j',
        id,
        'r',
        '1',
        's',
        'Completed',
        'x',
        '0',
        'w',
        '',
        't',
        new Date().toISOString(),
        'n',
        '',
      );
    }
    await pipeline.exec();
  }
}

const server = await serve();
const backlog: number[] = [];
const live: number[] = [];
for (let round = 1; round <= ROUNDS; round += 1) {
  // Backlog: from just before this round's events.
  const last = (await client.xrevrange(key, '+', '-', 'COUNT', 1))[0]?.[0] ?? '0-0';
  await addEvents(client, EVENTS);
  backlog.push(EVENTS / (await readEvents(server, `?since=${last}`, EVENTS, () => {})));
  // Live: the writer starts once the client follows.
  const writer = redis.client();
  let writing: Promise<void> = Promise.resolve();
  const seconds = await readEvents(server, '', EVENTS, () => {
    writing = addEvents(writer, EVENTS);
  });
  await writing;
  writer.disconnect();
  live.push(EVENTS / seconds);
  log(`round ${round}: backlog ${backlog.at(-1)?.toFixed(0)}/s, live ${live.at(-1)?.toFixed(0)}/s`);
}
await server.stop();

// What the events of a real fan-out cost Redis.
await client.del(key);
const job = JSON.parse(
  await new Promise<string>((resolve, reject) => {
    const hosts = Array.from({ length: CHILDREN }, () => 'localhost').join(',');
    const child = spawn(process.execPath, [FLEET, 'invoke', '-c', hosts, '--throttle', '32', '--as-job', '--json', '--', 'true'], {
      env,
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let out = '';
    child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
    child.once('close', (code) => (code === 0 ? resolve(out) : reject(new Error(`fleet invoke exited ${code}`))));
  }),
) as { id: number };
const waited = spawn(process.execPath, [FLEET, 'wait', String(job.id), '--quiet'], { env, stdio: 'ignore' });
await new Promise((resolve) => waited.once('close', resolve));
const length = await client.xlen(key);
const bytes = Number(await client.call('MEMORY', 'USAGE', key, 'SAMPLES', '0'));
const agents = JSON.parse(
  await new Promise<string>((resolve) => {
    const child = spawn(process.execPath, [FLEET, 'agents', '--json'], { env, stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
    child.once('close', () => resolve(out));
  }),
) as { pid: number }[];
for (const agent of agents) process.kill(agent.pid, 'SIGTERM');
client.disconnect();
await redis.stop();

const section = `## Event stream: \`GET /api/events\`

One run of \`bench/events-stream.ts\` (${new Date().toISOString()}; ${cpus().length} x ${cpus()[0]?.model ?? 'CPU'}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB; Node ${process.version}), ${ROUNDS} rounds of ${EVENTS.toLocaleString('en')} events through one \`fleet serve\` to one client on loopback:

| case | median | min – max |
|---|---|---|
| backlog (resume from before them all) | **${Math.round(median(backlog)).toLocaleString('en')} events/s** | ${Math.round(Math.min(...backlog)).toLocaleString('en')} – ${Math.round(Math.max(...backlog)).toLocaleString('en')} |
| live (written while the client follows) | **${Math.round(median(live)).toLocaleString('en')} events/s** | ${Math.round(Math.min(...live)).toLocaleString('en')} – ${Math.round(Math.max(...live)).toLocaleString('en')} |

Cost in Redis, from a real fan-out of ${CHILDREN} \`localhost\` children: ${length} events, **${(length / CHILDREN).toFixed(2)} events a child** (its start and its end; the parent's creation and end on top), ${bytes.toLocaleString('en')} bytes (\`MEMORY USAGE\`): **${(bytes / length).toFixed(0)} bytes an event**. At the 100,000 kept, ~${(((bytes / length) * 100_000) / 2 ** 20).toFixed(1)} MiB.
`;
const file = reportFile('RESULTS.md');
await writeFile(file, withSection(await readFile(file, 'utf8').catch(() => ''), 'events-stream', section));
process.stdout.write(section);
