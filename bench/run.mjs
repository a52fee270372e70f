// npm run bench: every benchmark in turn. Not part of npm test.
// The benchmarks are TypeScript (they share the tests' helpers in
// test/support), and node runs JavaScript: esbuild bundles each of them, and
// the scripts they run as processes of their own, into bench/.work first;
// packages stay external. BENCH_ONLY picks some, e.g. fleet-vs-peers.ts.
// `node bench/run.mjs soak.ts ARGS...` (npm run soak) runs the chaos soak
// instead, with its arguments.
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const here = (name) => fileURLToPath(new URL(name, import.meta.url));
const benches = [
  'thread-vs-process.ts',
  'fleet-vs-peers.ts',
  'agent-count.ts',
  'control-plane.ts',
  'transfer.ts',
  'events-stream.ts',
  'page.ts',
  'warm-profile.ts',
];
const processes = ['bare-ssh2.ts', 'bare-spawn.ts', 'bare-bullmq.ts', 'ssh-held-input.ts'];

const scripts = ['soak.ts'];
const [script, ...scriptArgs] = process.argv.slice(2);
const chosen = script === undefined ? (process.env.BENCH_ONLY?.split(',') ?? benches) : [script];
const unknown = chosen.filter((bench) => !benches.includes(bench) && !scripts.includes(bench));
if (unknown.length > 0) {
  process.stderr.write(`bench: no benchmark ${unknown.join(', ')}; there are ${benches.join(', ')}\n`);
  process.exit(2);
}
await build({
  entryPoints: [...benches, ...processes, ...scripts].map(here),
  outdir: here('.work'),
  outExtension: { '.js': '.mjs' },
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  packages: 'external',
  logLevel: 'warning',
});
// A Ctrl-C reaches the script too, which cleans up before it exits: wait for it.
if (script !== undefined) process.on('SIGINT', () => {});
for (const bench of chosen) {
  const result = spawnSync(process.execPath, [here(`.work/${bench.replace(/\.ts$/, '.mjs')}`), ...scriptArgs], { stdio: 'inherit' });
  if (result.status !== 0) process.exit(result.status ?? 1);
}
