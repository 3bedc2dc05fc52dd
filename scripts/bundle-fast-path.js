#!/usr/bin/env node
// Bundles the `instances list` fast path (dist/cli/fast-path.js and what it imports) into one
// CommonJS file, dist/cli/fast-path.cjs, that bin/run.js `require`s: one file read and no ES module
// loader on the start-up path measured by T2 (bench/t02-instances-list.ts). Run after tsc.
// What the fast path loads only on demand stays outside: the server daemon (first start of the
// embedded control plane), undici (proxy) and chalk (colour on a TTY).
import { build } from 'esbuild';
import { fileURLToPath } from 'node:url';

const dist = fileURLToPath(new URL('../dist/cli/', import.meta.url));
await build({
  entryPoints: [`${dist}fast-path.js`],
  outfile: `${dist}fast-path.cjs`,
  bundle: true,
  platform: 'node',
  format: 'cjs',
  target: 'node20',
  external: ['../server/daemon.js', 'undici', 'chalk', 'cli-table3'],
  // `import.meta.url` has no CommonJS form: the bundle's own file URL stands in (createRequire).
  define: { 'import.meta.url': '__bundleUrl' },
  banner: { js: "const __bundleUrl = require('node:url').pathToFileURL(__filename).href;" },
  logLevel: 'warning',
});
process.stdout.write('bundled dist/cli/fast-path.cjs\n');
