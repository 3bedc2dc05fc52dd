#!/usr/bin/env node
// Bundles every command of the CLI into dist/bundles/<id>.cjs (`instances list` →
// instances-list.cjs): the command class with exactly the modules it imports, in one CommonJS file
// that bin/run.js `require`s, so running a command loads neither oclif's Config and plugin loader
// nor the ES module loader (startup budget T2, issue 9; src/cli/bundled-command.ts runs it).
// - `@oclif/core` resolves to src/cli/oclif-light.ts (Command, Args, Errors, Flags from oclif's
//   submodules); oclif's Command module gets a Config stub, since a bundled command is handed its
//   config and never loads one.
// - What commands load only on demand stays outside: server and agent code imported dynamically
//   (the embedded control plane, `server start`, `agent`), undici (streams, proxies), chalk and
//   cli-table3 (colour and boxed tables on a TTY), @inquirer/prompts (prompts on a TTY), typescript
//   (never at run time).
// - oclif's modules require each other on first use instead of at start (the oclif transform
//   below), and `debug` is a no-op: a run with DEBUG set goes to oclif.
// Run after tsc and the manifest.
import { build } from 'esbuild';
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { dirname, join, relative } from 'node:path';

const root = fileURLToPath(new URL('..', import.meta.url));
const dist = join(root, 'dist');
const out = join(dist, 'bundles');
const manifest = JSON.parse(readFileSync(join(root, 'oclif.manifest.json'), 'utf8'));
const ids = Object.keys(manifest.commands);
const runner = join(dist, 'cli', 'bundled-command.js');

const NO_DEBUG = `const off = () => Object.assign(() => undefined, { enabled: false, extend: () => off(), log: () => undefined });
module.exports = Object.assign(() => off(), { enable() {}, disable: () => '', enabled: () => false });`;

/** A module object that requires its module on first use (the oclif transform and LAZY_BUILTINS below). */
const LAZY_MODULE = `function __lazyModule(load) {
  let m;
  const get = () => (m ??= load());
  return new Proxy({}, {
    get: (_, k) => (k === '__esModule' ? true : get()[k]),
    has: (_, k) => k in get(),
    ownKeys: () => Reflect.ownKeys(get()),
    getOwnPropertyDescriptor: (_, k) => {
      const d = Reflect.getOwnPropertyDescriptor(get(), k);
      return d && { ...d, configurable: true };
    },
  });
}`;

/**
 * Modules that commands import dynamically and only some of their runs use, built once as a chunk of
 * their own (dist/bundles/chunks/<name>.cjs, loaded with its code cache) instead of inside every
 * bundle that imports them: `deploy <box id>` need not read the box-folder library, YAML and
 * nunjucks (a third of its bundle) to deploy a stored box. A chunk must hold no class that code
 * outside it tests with `instanceof`, and no state shared with it: the bundle that imports it keeps
 * its own copies of the modules both use. The box-folder library meets both.
 */
const CHUNKS = { 'box-folder': 'client/box-folder/index.js' };
const chunkOf = Object.fromEntries(Object.entries(CHUNKS).map(([name, rel]) => [rel, name]));

/** Our modules and oclif's, wired for a bundle (see the comment at the top). */
const wiring = {
  name: 'ebcli-bundle',
  setup(b) {
    b.onResolve({ filter: /^entry:/ }, (args) => ({ path: args.path.slice('entry:'.length), namespace: 'entry' }));
    b.onLoad({ filter: /.*/, namespace: 'entry' }, (args) => {
      const file = join(root, ...manifest.commands[args.path].relativePath);
      return {
        resolveDir: root,
        contents: [
          `import Cmd from ${JSON.stringify(file)};`,
          `import { runBundledCommand } from ${JSON.stringify(runner)};`,
          'export const run = (argv, how) => runBundledCommand(Cmd, argv, how);',
        ].join('\n'),
      };
    });
    b.onResolve({ filter: /^@oclif\/core$/ }, () => ({ path: join(dist, 'cli', 'oclif-light.js') }));
    b.onResolve({ filter: /^\.\/config$/ }, (args) =>
      /@oclif[\\/]core[\\/]lib[\\/]command\.js$/.test(args.importer)
        ? { path: 'config', namespace: 'stub' }
        : undefined,
    );
    b.onLoad({ filter: /.*/, namespace: 'stub' }, () => ({
      contents:
        "exports.Config = { load() { throw new Error('a bundled command is given its config (src/cli/bundled-command.ts)'); } };",
    }));
    // oclif's own modules require each other at load; most of them only a failing or helping run
    // uses. Each `const x = require("./…")` (with TypeScript's import helpers) becomes a proxy
    // that requires on first use. Only oclif-internal paths (their exports are plain objects) and
    // node:readline (six builtin modules, for flags read from stdin).
    b.onLoad({ filter: /[\\/]@oclif[\\/]core[\\/]lib[\\/].*\.js$/ }, (args) => {
      const source = readFileSync(args.path, 'utf8');
      const contents = source.replace(
        /^(const|var) (\w+) = ((?:__importDefault|__importStar)\()?require\("(\.\.?\/[^"]+|node:readline)"\)(\))?;$/gm,
        (line, kind, name, helper, path, close) =>
          (helper ? Boolean(close) : !close)
            ? `${kind} ${name} = __lazyModule(() => ${helper ?? ''}require(${JSON.stringify(path)})${close ?? ''});`
            : line,
      );
      return { contents, loader: 'js' };
    });
    b.onResolve({ filter: /^debug$/ }, () => ({ path: 'debug', namespace: 'stub-debug' }));
    b.onLoad({ filter: /.*/, namespace: 'stub-debug' }, () => ({ contents: NO_DEBUG }));
    // Server and agent code, and the daemon manager, that a command imports on demand stay in
    // dist/, next to dist/bundles.
    b.onResolve({ filter: /^\.\.?\// }, (args) => {
      if (args.kind !== 'dynamic-import' || args.namespace !== 'file') return undefined;
      const target = join(dirname(args.importer), args.path);
      const rel = relative(dist, target).split('\\').join('/');
      if (chunkOf[rel]) return { path: `chunk:${chunkOf[rel]}`, external: true };
      if (!/^(server|agent)\/|^cli\/daemon\.js$/.test(rel)) return undefined;
      return { path: `../${rel}`, external: true };
    });
  },
};

rmSync(out, { recursive: true, force: true });
const options = {
  write: false,
  outExtension: { '.js': '.cjs' },
  bundle: true,
  platform: 'node',
  format: 'cjs',
  target: 'node20',
  // Whitespace and syntax only (names stay, so do stack traces' function names): a smaller file is
  // read faster, and functions compiled after start are parsed from less text.
  minifyWhitespace: true,
  minifySyntax: true,
  // `import.meta.url` has no CommonJS form: the bundle's own file URL stands in (createRequire).
  define: { 'import.meta.url': '__bundleUrl' },
  // Dynamic imports go through bin/run.js (`__ebcliImport`): see src/cli/bundle-loader.ts.
  banner: {
    js: [
      LAZY_MODULE,
      "const __bundleUrl = require('node:url').pathToFileURL(__filename).href;",
      "const __import = (s) => (globalThis.__ebcliImport ?? ((x) => import(x)))(s.startsWith('.') ? new URL(s, __bundleUrl).href : s);",
      // A chunk (CHUNKS above), loaded like a bundle: with its code cache.
      "const __chunk = (n) => Promise.resolve().then(() => require('../cli/bundle-loader.cjs').loadBundle(require('node:path').join(__dirname, 'chunks', `${n}.cjs`)).exports);",
    ].join('\n'),
  },
  external: ['undici', 'chalk', 'cli-table3', 'typescript', 'better-sqlite3', '@inquirer/prompts'],
  plugins: [wiring],
  logLevel: 'warning',
};
const result = await build({
  ...options,
  entryPoints: ids.map((id) => ({ in: `entry:${id}`, out: id.replaceAll(':', '-') })),
  outdir: out,
});
const chunks = await build({
  ...options,
  entryPoints: Object.entries(CHUNKS).map(([name, rel]) => ({ in: join(dist, rel), out: name })),
  outdir: join(out, 'chunks'),
});
mkdirSync(join(out, 'chunks'), { recursive: true });
// Builtins that only some runs of a command use (`fs/promises` also loads readline's six modules),
// required on first use: every module of a bundle requires its builtins when the bundle starts.
// Their exports are only read as properties (`(0, import_promises.stat)(…)`), which the proxy serves.
const LAZY_BUILTINS = /(?<!=>\s?)\brequire\(("node:(?:fs\/promises|readline|timers\/promises)")\)/g;
for (const file of [...result.outputFiles, ...chunks.outputFiles]) {
  // esbuild writes an external dynamic import as `import("…")`; the loader's `vm.Script` needs it
  // routed through `__chunk` or `__import` (the banner above).
  const text = file.text
    .replace(/\bimport\("chunk:([\w-]+)"\)/g, '__chunk("$1")')
    .replace(/\bimport\(("[^"\n]+")\)/g, '__import($1)')
    .replace(LAZY_BUILTINS, (call) => `__lazyModule(() => ${call})`);
  writeFileSync(file.path, text);
}
// V8 code caches, made by a fresh process with the flags bin/run.js sets (V8 refuses a cache made
// under other flags): see src/cli/bundle-loader.ts.
execFileSync(process.execPath, [join(root, 'scripts', 'bundle-caches.js'), out], { stdio: 'inherit' });
process.stdout.write(`bundled ${ids.length} commands into dist/bundles/, with their code caches\n`);
