import { readFileSync, writeFileSync } from 'node:fs';
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
 * A bundle's dynamic `import()` of the modules it leaves outside (server code, chalk) cannot run
 * inside a `vm.Script` without an experimental loader option, so bundles call `__ebcliImport`
 * instead (their banner; bin/run.js provides it), which imports from a real module.
 */

const CACHE_SUFFIX = '.v8cache';

export interface LoadedBundle {
  exports: unknown;
  /** Whether V8 used the cache. */
  cached: boolean;
  script: Script;
}

/** Runs the bundle at `file` as a CommonJS module and returns its exports. */
export function loadBundle(file: string): LoadedBundle {
  const source = readFileSync(file, 'utf8');
  let cachedData: Buffer | undefined;
  try {
    cachedData = readFileSync(`${file}${CACHE_SUFFIX}`);
  } catch {
    cachedData = undefined;
  }
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
  return { exports: mod.exports, cached: cachedData !== undefined && !script.cachedDataRejected, script };
}

/** Writes the code cache of a loaded bundle (its top level has run, so what it compiled is in). */
export function writeBundleCache(file: string, loaded: LoadedBundle): void {
  writeFileSync(`${file}${CACHE_SUFFIX}`, loaded.script.createCachedData());
}
