// The limit for local jobs: a bare Node loop spawning `sh -c true` at
// concurrency 32. Usage (bundled by run.mjs): node bench/.work/bare-spawn.mjs COUNT
import { spawn } from 'node:child_process';
import pMap from 'p-map';

const count = Number(process.argv[2] ?? 1000);
await pMap(
  Array.from({ length: count }, (_, index) => index),
  () =>
    new Promise<void>((resolve, reject) => {
      const child = spawn('sh', ['-c', 'true'], { stdio: 'ignore' });
      child.once('error', reject).once('exit', (code) => (code === 0 ? resolve() : reject(new Error(`exit ${code}`))));
    }),
  { concurrency: 32 },
);
