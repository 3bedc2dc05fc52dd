import { readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire, Module } from 'node:module';
import { dirname } from 'node:path';
import { Script } from 'node:vm';

/**
 * Loads a command bundle (dist/bundles/*.cjs) the way `require` would, with V8's code cache.
 *
 * A bundle is one large CommonJS file (0.4–2 MB): compiling it is most of what starting a command
 * costs beyond Node itself (about 50 ms for `deploy` on a busy machine, 1.5 ms from its cache).
 * Node 20 has no compile cache of its own (`module.enableCompileCache` came with Node 22), so the
 * build writes each bundle's cache next to it (`<bundle>.v8cache`, scripts/bundle-commands.js)
 * and this loader hands it to `vm.Script`. V8 checks that the cache matches the source, its own
 * version and flags; a rejected or missing cache only costs the compile it would have cost.
 *
 * The build's cache holds what a bundle's top level compiled; the functions a command runs after
 * that (its `run`, the client's request path, the renderers) V8 would compile lazily in every
 * process. So the first run of each command that loaded its bundle writes a second cache made after
 * the command ran (`<bundle>.v8cache-run`, saveRunCache), and later runs load that one: the
 * approach of v8-compile-cache, which saves its caches at exit. It saves about 4 ms of CPU per
 * `deploy --no-wait` (issue 9, T2). Where the install is not writable the build's cache serves.
 *
 * A bundle's dynamic `import()` of the modules it leaves outside (server code, chalk) cannot run
 * inside a `vm.Script` without an experimental loader option, so bundles call `__ebcliImport`
 * instead (their banner; bin/run.js provides it), which imports from a real module.
 */

const CACHE_SUFFIX = '.v8cache';
const RUN_CACHE_SUFFIX = '.v8cache-run';

export interface LoadedBundle {
  exports: unknown;
  /** Whether V8 used the cache. */
  cached: boolean;
  /** Whether the cache V8 used was made after a run (saveRunCache). */
  runCached: boolean;
  script: Script;
  file: string;
}

function readCache(path: string): Buffer | undefined {
  try {
    return readFileSync(path);
  } catch {
    return undefined;
  }
}

/** Runs the bundle at `file` as a CommonJS module and returns its exports. */
export function loadBundle(file: string): LoadedBundle {
  const source = readFileSync(file, 'utf8');
  const runCache = readCache(`${file}${RUN_CACHE_SUFFIX}`);
  const cachedData = runCache ?? readCache(`${file}${CACHE_SUFFIX}`);
  const script = new Script(Module.wrap(source), { filename: file, cachedData });
  // A module like one `require` makes, and in require's cache (as tools that list loaded files expect).
  const requireHere = createRequire(file);
  const mod = new Module(file);
  mod.filename = file;
  mod.paths = (Module as unknown as { _nodeModulePaths(dir: string): string[] })._nodeModulePaths(dirname(file));
  requireHere.cache[file] = mod;
  const fn = script.runInThisContext() as (
    exports: unknown,
    require: NodeJS.Require,
    module: Module,
    filename: string,
    dirname: string,
  ) => void;
  try {
    fn.call(mod.exports, mod.exports, requireHere, mod, file, dirname(file));
  } catch (err) {
    delete requireHere.cache[file];
    throw err;
  }
  mod.loaded = true;
  const cached = cachedData !== undefined && !script.cachedDataRejected;
  return { exports: mod.exports, cached, runCached: cached && runCache !== undefined, script, file };
}

/**
 * After a command ran from a bundle that no run-made cache served, writes one (see the top): to a
 * temporary file renamed into place, so concurrent runs never read half a cache. Never fails: an
 * install that is not writable keeps the build's cache.
 */
export function saveRunCache(loaded: LoadedBundle): void {
  if (loaded.runCached) return;
  const target = `${loaded.file}${RUN_CACHE_SUFFIX}`;
  const temporary = `${target}.${process.pid}`;
  try {
    writeFileSync(temporary, loaded.script.createCachedData());
    renameSync(temporary, target);
  } catch {
    rmSync(temporary, { force: true });
  }
}

/** Writes the code cache of a loaded bundle (its top level has run, so what it compiled is in). */
export function writeBundleCache(file: string, loaded: LoadedBundle): void {
  writeFileSync(`${file}${CACHE_SUFFIX}`, loaded.script.createCachedData());
}
