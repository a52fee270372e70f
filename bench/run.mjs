// npm run bench: every benchmark in turn. Not part of npm test.
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

for (const bench of ['thread-vs-process.mjs']) {
  const result = spawnSync(process.execPath, [fileURLToPath(new URL(bench, import.meta.url))], { stdio: 'inherit' });
  if (result.status !== 0) process.exit(result.status ?? 1);
}
