// npm run bench: every benchmark in turn. Not part of npm test.
// TypeScript benchmarks (which share the tests' sshd fleet) are bundled by
// esbuild into bench/.work first; packages stay external.
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const here = (name) => fileURLToPath(new URL(name, import.meta.url));
const benches = (process.env.BENCH_ONLY ?? 'thread-vs-process.mjs,fleet-vs-peers.ts').split(',');
for (const bench of benches) {
  let file = here(bench);
  if (bench.endsWith('.ts')) {
    file = here(`.work/${bench.replace(/\.ts$/, '.mjs')}`);
    await build({
      entryPoints: [here(bench)],
      outfile: file,
      bundle: true,
      platform: 'node',
      format: 'esm',
      target: 'node20',
      packages: 'external',
      logLevel: 'warning',
    });
  }
  const result = spawnSync(process.execPath, [file], { stdio: 'inherit' });
  if (result.status !== 0) process.exit(result.status ?? 1);
}
