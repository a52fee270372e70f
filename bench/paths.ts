// Where the benchmarks find fleet and put their reports. run.mjs bundles each
// benchmark into bench/.work/NAME.mjs and runs it there, so import.meta.url is
// that of a bundle: the bench directory is one level up, the repository two.
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const benchDir = fileURLToPath(new URL('..', import.meta.url));

/** The fleet CLI, as `npm run bench` has built it. */
export const FLEET = fileURLToPath(new URL('../../packages/cli/bin/fleet.js', import.meta.url));

/** Another bundled benchmark script (`bare-ssh2`, `bare-spawn`), to run as a process of its own. */
export const bundled = (name: string): string => fileURLToPath(new URL(`./${name}.mjs`, import.meta.url));

/** A report file: in bench/, or in BENCH_OUT_DIR for a trial run that must not replace the committed results. */
export const reportFile = (name: string): string => join(process.env.BENCH_OUT_DIR ?? benchDir, name);
