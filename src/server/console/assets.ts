import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { brotliCompressSync, constants, gzipSync } from 'node:zlib';

/** One file of the built console, kept in memory with its compressed forms. */
export interface ConsoleAsset {
  name: string;
  type: string;
  raw: Buffer;
  gzip: Buffer;
  br: Buffer;
}

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
};

/** The package root: the nearest folder above this module holding package.json. */
function packageRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'package.json'))) {
    const up = dirname(dir);
    if (up === dir) throw new Error('package.json not found above the server module');
    dir = up;
  }
  return dir;
}

/** Where `scripts/bundle-console.js` writes the console (dist/console; `EBCLI_CONSOLE_DIR` overrides). */
export function consoleDir(): string {
  return process.env.EBCLI_CONSOLE_DIR ?? join(packageRoot(), 'dist', 'console');
}

/**
 * Loads every built console file and compresses it once (brotli and gzip), so requests only pick
 * a buffer. Returns an empty map when the console was not built.
 */
export function loadConsoleAssets(dir = consoleDir()): Map<string, ConsoleAsset> {
  const assets = new Map<string, ConsoleAsset>();
  if (!existsSync(dir)) return assets;
  for (const name of readdirSync(dir)) {
    const type = TYPES[name.slice(name.lastIndexOf('.'))];
    if (!type) continue;
    const raw = readFileSync(join(dir, name));
    assets.set(name, {
      name,
      type,
      raw,
      gzip: gzipSync(raw, { level: 9 }),
      br: brotliCompressSync(raw, { params: { [constants.BROTLI_PARAM_QUALITY]: 11 } }),
    });
  }
  return assets;
}

/** The best encoding of an asset the client accepts. */
export function pickEncoding(asset: ConsoleAsset, acceptEncoding: string | undefined) {
  const accepts = (enc: string) =>
    new RegExp(`(^|[\\s,])${enc}(;q=(?!0(\\.0*)?\\b)[0-9.]+)?\\s*(,|$)`).test(acceptEncoding ?? '');
  if (accepts('br')) return { encoding: 'br', body: asset.br };
  if (accepts('gzip')) return { encoding: 'gzip', body: asset.gzip };
  return { encoding: undefined, body: asset.raw };
}
