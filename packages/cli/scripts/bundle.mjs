// Bundles the CLI with esbuild, after tsc has built dist/. Three outputs:
// - dist/fleet-cli.js, what bin/fleet.js runs: the CLI split into chunks, so a
//   command loads only what it uses (`fleet get` never parses BullMQ or ssh2,
//   which are 2 MB of the 3 MB). Loading one bundle instead of ~200 modules
//   also skips Node's per-module resolution and CommonJS export scanning.
// - dist/fleet-agent.mjs: the whole CLI in one file, dependencies included,
//   which `fleet deploy` uploads to nodes (no node_modules there).
// - dist/thread-worker.js: the agent's thread worker, on its own (it imports
//   no chunk), which both run from beside them and deploy uploads with the agent.
// Both carry the workspace packages and every third-party dependency (all that is
// left out: Node's own modules, and optional ones the dependencies try to load and
// do without, such as ssh2's native add-ons), so the packed package (package.json
// `files`: these outputs only) needs no node_modules.
// Every output sits directly in dist/, as tsc's output does, so paths that
// modules compute from import.meta.url (src/package-files.ts, the agent's
// thread worker) hold in both.
import { build } from 'esbuild';
import { copyFile, mkdir, readdir, rm } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';

const dist = fileURLToPath(new URL('../dist/', import.meta.url));
const pageSrc = fileURLToPath(new URL('../src/page/', import.meta.url));
const threadWorker = fileURLToPath(new URL('../../agent/dist/threads/thread-worker.js', import.meta.url));

const common = {
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  // ssh2's optional native speed-ups; it runs without them.
  external: ['cpu-features', '*.node'],
  // CommonJS dependencies (ioredis, ssh2) use require(), __dirname and __filename, which an
  // ES module lacks. The banner provides them under names no bundled module declares
  // (yargs declares its own __dirname), and `define` points the free uses at them.
  banner: {
    js: [
      "import { createRequire as __fleetRequire } from 'node:module';",
      "import { fileURLToPath as __fleetPath } from 'node:url';",
      'const require = __fleetRequire(import.meta.url);',
      'const __fleetFilename = __fleetPath(import.meta.url);',
      "const __fleetDirname = __fleetFilename.slice(0, __fleetFilename.lastIndexOf('/'));",
    ].join(' '),
  },
  define: { __dirname: '__fleetDirname', __filename: '__fleetFilename' },
  // Less to parse on every start; names are kept so stack traces still read.
  minifyWhitespace: true,
  minifySyntax: true,
  logLevel: 'warning',
};

// Chunk names carry a content hash: drop the previous build's.
for (const name of await readdir(dist)) {
  if (name.startsWith('chunk-')) await rm(`${dist}${name}`);
}

await build({
  ...common,
  entryPoints: { 'fleet-cli': `${dist}main.js` },
  outdir: dist,
  splitting: true,
  chunkNames: 'chunk-[hash]',
  // A split-off CommonJS module reaches a dynamic import() with a default export only, so
  // `const { Queue } = await import('bullmq')` would find nothing: take BullMQ's ES build.
  mainFields: ['module', 'main'],
});

// Nodes run agents, not `fleet serve`: its server (Fastify, prom-client: 1.4 MB) stays out of
// the bundle deploy uploads, and the command says so there.
const withoutServer = {
  name: 'without-server',
  setup(build) {
    build.onResolve({ filter: /\/serve\/server\.js$/ }, () => ({ path: 'serve-server', namespace: 'without-server' }));
    build.onLoad({ filter: /.*/, namespace: 'without-server' }, () => ({
      contents:
        "export async function startServer() { throw new Error('fleet serve is not in the agent bundle deployed to nodes: run it from a fleet installed with npm'); }",
      loader: 'js',
    }));
  },
};

// Nor do they serve `fleet agent --metrics` (prom-client): deploy starts none with it. The flag is
// a usage error there (exit 2), said before the agent opens anything.
const withoutAgentMetrics = {
  name: 'without-agent-metrics',
  setup(build) {
    build.onResolve({ filter: /^@fleet\/agent\/metrics$/ }, () => ({ path: 'agent-metrics', namespace: 'without-agent-metrics' }));
    build.onLoad({ filter: /.*/, namespace: 'without-agent-metrics' }, () => ({
      contents: [
        "import { UsageError } from '@fleet/core';",
        'export async function serveAgentMetrics() {',
        "  throw new UsageError('--metrics is not in the agent bundle fleet deploy puts on nodes', {",
        "    hint: 'run the agent of a fleet installed with npm for its metrics, or scrape fleet serve /metrics for the whole fleet',",
        '  });',
        '}',
      ].join('\n'),
      loader: 'js',
      resolveDir: dist,
    }));
  },
};

await build({
  ...common,
  entryPoints: [`${dist}bundle-entry.js`],
  outfile: `${dist}fleet-agent.mjs`,
  plugins: [withoutServer, withoutAgentMetrics],
});

await build({
  ...common,
  entryPoints: [threadWorker],
  outfile: `${dist}thread-worker.js`,
});

// The web page of `fleet serve` (src/page/, Preact and htm: ~20 kB), for browsers, into dist/page/ with its HTML,
// style and icon, which the server reads when it starts (src/serve/page-assets.ts). Nothing of the CLI imports
// it: it is in neither the CLI's chunks nor the agent bundle. esbuild only strips its types: `npm run typecheck`
// checks them (src/page/tsconfig.json, with the DOM's).
await mkdir(`${dist}page`, { recursive: true });
await build({
  entryPoints: { app: `${pageSrc}main.ts` },
  outdir: `${dist}page`,
  bundle: true,
  platform: 'browser',
  format: 'esm',
  target: ['chrome111', 'firefox111', 'safari16.4'],
  minify: true,
  logLevel: 'warning',
});
for (const file of ['index.html', 'app.css', 'icon.svg']) await copyFile(`${pageSrc}${file}`, `${dist}page/${file}`);
