// Builds dist/fleet-agent.mjs: the whole CLI, dependencies included, in one
// file, which `fleet deploy` uploads to nodes (no node_modules there).
// esbuild is used because it bundles ESM and CommonJS dependencies into one
// file in well under a second.
import { build } from 'esbuild';
import { fileURLToPath } from 'node:url';

await build({
  entryPoints: [fileURLToPath(new URL('../dist/bundle-entry.js', import.meta.url))],
  outfile: fileURLToPath(new URL('../dist/fleet-agent.mjs', import.meta.url)),
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  // ssh2's optional native speed-ups; it runs without them.
  external: ['cpu-features', '*.node'],
  // CommonJS dependencies (ioredis, ssh2) use require() and __dirname; give the ESM bundle both.
  banner: {
    js: [
      "import { createRequire as __fleetRequire } from 'node:module';",
      "import { fileURLToPath as __fleetPath } from 'node:url';",
      'const require = __fleetRequire(import.meta.url);',
      'const __filename = __fleetPath(import.meta.url);',
      "const __dirname = __filename.slice(0, __filename.lastIndexOf('/'));",
    ].join(' '),
  },
  logLevel: 'warning',
});
