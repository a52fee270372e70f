// What remembering each signed job costs an agent (issue 16, no replay):
//   node bench/ran-memory.mjs      (after npm run build)
// RanDirectory.remember for 1,000 distinct jobs, one after another and 64 at
// once (the agent's default concurrency), in a directory on the same
// filesystem as the state directory (the home directory's; BENCH_DIR to
// choose), then 1,000 replays of them (each an EEXIST and a read), and the
// prune at start of a directory holding 1,000 live and 1,000 expired entries.
import { createHash } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { RanDirectory } from '@fleet/agent';
import { ranRecordName } from '@fleet/core';

const JOBS = 1000;
const base = await mkdtemp(join(process.env.BENCH_DIR ?? homedir(), '.fleet-bench-ran-'));
const digest = (text) => createHash('sha256').update(text).digest('hex');
const expiresAt = Date.now() + 86_400_000;
const runs = (tag) => Array.from({ length: JOBS }, (_, i) => ({ expiresAt, digest: digest(`${tag}${i}`), jobId: i, agentId: 'bench' }));

async function timed(what, task) {
  const began = performance.now();
  await task();
  const ms = performance.now() - began;
  process.stdout.write(`${what}: ${ms.toFixed(1)} ms for ${JOBS} (${((ms * 1000) / JOBS).toFixed(0)} µs each)\n`);
}

try {
  const memory = await RanDirectory.open({ dir: join(base, 'ran') });
  await timed('remember, one after another', async () => {
    for (const run of runs('a')) await memory.remember(run);
  });
  await timed('remember, 64 at once', async () => {
    const queue = runs('b');
    await Promise.all(
      Array.from({ length: 64 }, async () => {
        for (let run = queue.shift(); run; run = queue.shift()) await memory.remember(run);
      }),
    );
  });
  await timed('replays refused (EEXIST, read)', async () => {
    for (const run of runs('a')) await memory.remember(run);
  });
  for (let i = 0; i < JOBS; i++) await writeFile(join(base, 'ran', ranRecordName(1000 + i, digest(`old${i}`))), '');
  await timed('prune at open (3,000 entries, 1,000 expired)', () => RanDirectory.open({ dir: join(base, 'ran') }));
} finally {
  await rm(base, { recursive: true, force: true });
}
