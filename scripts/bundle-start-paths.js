#!/usr/bin/env node
// Bundles what bin/run.js loads before any command, each with what it imports, into one CommonJS
// file that bin/run.js `require`s: one file read and no ES module loader on the start-up paths
// measured by T2 and T3 (bench/). The commands themselves are bundled by bundle-commands.js.
// Run after tsc.
// - dist/cli/command-index.cjs: which command an argv names (src/cli/command-index.ts).
// - dist/cli/bundle-loader.cjs: loads a command bundle with its V8 code cache.
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
await build({ ...common, entryPoints: [`${dist}command-index.js`], outfile: `${dist}command-index.cjs` });
await build({
  ...common,
  entryPoints: [`${dist}help-fast.js`],
  outfile: `${dist}help-fast.cjs`,
  external: ['typescript'],
});
await build({ ...common, entryPoints: [`${dist}stdio.js`], outfile: `${dist}stdio.cjs` });
await build({ ...common, entryPoints: [`${dist}bundle-loader.js`], outfile: `${dist}bundle-loader.cjs` });
process.stdout.write('bundled dist/cli/command-index.cjs, bundle-loader.cjs, help-fast.cjs and stdio.cjs\n');
