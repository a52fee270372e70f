import { fileURLToPath } from 'node:url';

// tsc's output and the esbuild bundles (scripts/bundle.mjs) all sit directly in dist/,
// so the package root is one level up from whichever of them this code runs in.
const PACKAGE_ROOT = new URL('../', import.meta.url);

/** The `fleet` executable, which a CLI runs to start a detached local agent. */
export const CLI_BIN = fileURLToPath(new URL('bin/fleet.js', PACKAGE_ROOT));

/** The single-file CLI that `fleet deploy` uploads to nodes. */
export const AGENT_BUNDLE = fileURLToPath(new URL('dist/fleet-agent.mjs', PACKAGE_ROOT));

/** The agent's thread worker, which `fleet deploy` uploads beside the bundle: the bundle's agent looks for it there. */
export const THREAD_WORKER = fileURLToPath(new URL('dist/thread-worker.js', PACKAGE_ROOT));

/** The web page of `fleet serve`, which the build bundles (scripts/bundle.mjs): its HTML, script and style. */
export const PAGE_DIR = fileURLToPath(new URL('dist/page/', PACKAGE_ROOT));
