import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { loadBundle } from './bundle-loader.js';

/**
 * The control plane as one bundle (scripts/bundle-server.js), in dist/server-bundle/ beside
 * dist/cli/ and dist/bundles/ (where this module runs from, built or bundled into a command).
 */
const SERVER_BUNDLE = fileURLToPath(new URL('../server-bundle/start.cjs', import.meta.url));

const scope = globalThis as { __ebcliImport?: (specifier: string) => Promise<unknown> };

/**
 * The exports of dist/server-bundle/start.cjs (those of src/server/start.ts), loaded with its V8
 * code cache; undefined when it was not built (sources run by tsx) or with EBCLI_NO_FAST_PATH=1,
 * and the caller imports the server's modules instead. A cold start reads and compiles one file
 * instead of resolving and compiling each of some 1,400 modules (T15, issue 12).
 */
export function loadServerBundle(): unknown {
  if (process.env.EBCLI_NO_FAST_PATH || !existsSync(SERVER_BUNDLE)) return undefined;
  // What the bundle imports dynamically goes through a real module (src/cli/bundle-loader.ts);
  // bin/run.js already provides it to the command bundles.
  scope.__ebcliImport ??= (specifier) => import(specifier);
  return loadBundle(SERVER_BUNDLE).exports;
}
