#!/usr/bin/env node
// Bundles the control plane (dist/server/start.js with everything it imports: fastify, kysely,
// typebox, ws, …) into one CommonJS file, dist/server-bundle/start.cjs, with its V8 code cache
// (start.cjs.v8cache, src/cli/bundle-loader.ts). `ebcli server start` loads it
// (src/cli/server-bundle.ts): a cold start then reads and compiles one file instead of resolving,
// reading and compiling some 1,500 modules (T15, issue 12). Run after tsc.
// - Each module keeps its own `import.meta.url` (rewritten to its dist/ or node_modules/ path,
//   relative to the bundle): the console's assets, the agent bundle and the local provider find
//   their files where they did.
// - Native and optional modules stay outside (better-sqlite3; pg's and ws's optional native
//   helpers), and so does esbuild (only a server run from the sources without a build uses it).
// - What the server imports only on demand (pg and the replica bridge, with a PostgreSQL URL)
//   stays in the bundle, defined but not run until then.
import { build } from 'esbuild';
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { dirname, join, relative } from 'node:path';

const root = fileURLToPath(new URL('..', import.meta.url));
const out = join(root, 'dist', 'server-bundle');
const file = join(out, 'start.cjs');

/** `import.meta.url` of each module, as the path of its own file relative to the bundle. */
const ownUrls = {
  name: 'own-import-meta-url',
  setup(b) {
    b.onLoad({ filter: /\.m?js$/ }, (args) => {
      const source = readFileSync(args.path, 'utf8');
      if (!source.includes('import.meta.url')) return undefined;
      const rel = relative(out, args.path).split('\\').join('/');
      return {
        // `define` (below) turns each module's `import.meta.url` into this module-scoped name.
        contents: `var __ownUrl = new URL(${JSON.stringify(rel)}, __bundleUrl).href;${source}`,
        loader: 'js',
        resolveDir: dirname(args.path),
      };
    });
  },
};

rmSync(out, { recursive: true, force: true });
const result = await build({
  write: false,
  entryPoints: [join(root, 'dist', 'server', 'start.js')],
  outfile: file,
  bundle: true,
  platform: 'node',
  format: 'cjs',
  target: 'node20',
  // Whitespace and syntax only: names (and stack traces' function names) stay.
  minifyWhitespace: true,
  minifySyntax: true,
  banner: {
    js: [
      "const __bundleUrl = require('node:url').pathToFileURL(__filename).href;",
      "const __import = (s) => (globalThis.__ebcliImport ?? ((x) => import(x)))(s.startsWith('.') ? new URL(s, __bundleUrl).href : s);",
    ].join('\n'),
  },
  external: ['better-sqlite3', 'pg-native', 'bufferutil', 'utf-8-validate', 'esbuild', 'ssh2'],
  define: { 'import.meta.url': '__ownUrl' },
  plugins: [ownUrls],
  logLevel: 'warning',
});
mkdirSync(out, { recursive: true });
const [bundle] = result.outputFiles;
// An external dynamic import cannot run inside the loader's `vm.Script`: it goes through `__import`
// (the banner above; src/cli/bundle-loader.ts).
writeFileSync(file, bundle.text.replace(/\bimport\(("[^"\n]+")\)/g, '__import($1)'));
// The V8 code cache, made by a fresh process with the server's V8 flags (none).
execFileSync(process.execPath, [join(root, 'scripts', 'server-cache.js'), file], { stdio: 'inherit' });
process.stdout.write('bundled dist/server-bundle/start.cjs, with its code cache\n');
