#!/usr/bin/env node
// Bundles the fast paths of bin/run.js, each with what it imports, into one CommonJS file that
// bin/run.js `require`s: one file read and no ES module loader on the start-up paths measured by
// T2 and T3 (bench/). Run after tsc.
// - dist/cli/fast-path.cjs: `instances list`. What it loads only on demand stays outside: the
//   daemon manager (first start of the embedded control plane), undici (proxy), chalk (colour).
// - dist/cli/help-fast.cjs: help and "command not found", with oclif's Help class and errors
//   (not oclif's Config, plugins or commands); typescript is only ever loaded in development.
// - dist/cli/stdio.cjs: how every path of bin/run.js exits once its output is delivered.
import { build } from 'esbuild';
import { fileURLToPath } from 'node:url';

const dist = fileURLToPath(new URL('../dist/cli/', import.meta.url));
const common = {
  bundle: true,
  platform: 'node',
  format: 'cjs',
  target: 'node20',
  // `import.meta.url` has no CommonJS form: the bundle's own file URL stands in (createRequire).
  define: { 'import.meta.url': '__bundleUrl' },
  banner: { js: "const __bundleUrl = require('node:url').pathToFileURL(__filename).href;" },
  logLevel: 'warning',
};
await build({
  ...common,
  entryPoints: [`${dist}fast-path.js`],
  outfile: `${dist}fast-path.cjs`,
  external: ['./daemon.js', 'undici', 'chalk', 'cli-table3'],
});
await build({
  ...common,
  entryPoints: [`${dist}help-fast.js`],
  outfile: `${dist}help-fast.cjs`,
  external: ['typescript'],
});
await build({ ...common, entryPoints: [`${dist}stdio.js`], outfile: `${dist}stdio.cjs` });
process.stdout.write('bundled dist/cli/fast-path.cjs, dist/cli/help-fast.cjs and dist/cli/stdio.cjs\n');
