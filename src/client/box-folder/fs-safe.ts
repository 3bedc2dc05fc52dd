import { createHash, randomBytes } from 'node:crypto';
import { chmod, lstat, readFile, realpath, rename, rm, stat, writeFile } from 'node:fs/promises';
import { basename, extname, isAbsolute, join, relative, sep } from 'node:path';
import { resolveInside } from '../../shared/paths.js';
import type { LocalFile } from './types.js';

/** Why a path written in box.yaml may not be used, or undefined when its form is safe. */
export function unsafePathReason(rel: string): string | undefined {
  if (rel.includes('\0')) return 'contains a NUL byte';
  if (rel === '') return 'is empty';
  if (isAbsolute(rel) || rel.startsWith('\\') || /^[A-Za-z]:/.test(rel)) return 'is an absolute path';
  if (rel.split(/[/\\]/).includes('..')) return 'escapes the box folder (..)';
  try {
    resolveInside('/root-check', rel);
  } catch {
    return 'escapes the box folder';
  }
  return undefined;
}

export const isWithin = (root: string, full: string): boolean => full === root || full.startsWith(root + sep);

export type Located = { ok: true; path: string } | { ok: false; missing: boolean; reason: string };

/**
 * Resolves `rel` under the real folder `root` and follows symlinks: the target must exist and stay
 * inside `root`.
 */
export async function locate(root: string, rel: string): Promise<Located> {
  const bad = unsafePathReason(rel);
  if (bad) return { ok: false, missing: false, reason: `path ${bad}` };
  let real: string;
  try {
    real = await realpath(resolveInside(root, rel));
  } catch (err) {
    const missing = (err as NodeJS.ErrnoException).code === 'ENOENT';
    return { ok: false, missing, reason: missing ? 'does not exist' : (err as Error).message };
  }
  if (!isWithin(root, real))
    return { ok: false, missing: false, reason: 'is a symlink pointing outside the box folder' };
  return { ok: true, path: real };
}

/** Reads a regular file of at most `max` bytes; returns a reason string instead when it cannot. */
export async function readCapped(path: string, max: number): Promise<Buffer | string> {
  const info = await stat(path);
  if (!info.isFile()) return 'is not a regular file';
  if (info.size > max) return `is larger than ${max} bytes`;
  const content = await readFile(path);
  if (content.length > max) return `is larger than ${max} bytes`;
  return content;
}

export const md5 = (content: Buffer): string => createHash('md5').update(content).digest('hex');

const CONTENT_TYPES: Record<string, string> = {
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.gif': 'image/gif',
  '.svg': 'image/svg+xml',
  '.ico': 'image/x-icon',
  '.md': 'text/x-markdown',
  '.sh': 'text/x-shellscript',
  '.txt': 'text/plain',
  '.conf': 'text/plain',
  '.cfg': 'text/plain',
  '.ini': 'text/plain',
  '.html': 'text/html',
  '.json': 'application/json',
  '.yaml': 'application/x-yaml',
  '.yml': 'application/x-yaml',
  '.xml': 'application/xml',
  '.tar': 'application/x-tar',
  '.gz': 'application/gzip',
  '.zip': 'application/zip',
};

export const contentTypeFor = (name: string): string =>
  CONTENT_TYPES[extname(name).toLowerCase()] ?? 'application/octet-stream';

export function localFile(path: string, content: Buffer, contentType = contentTypeFor(path)): LocalFile {
  return { path, name: basename(path), content, md5: md5(content), contentType };
}

/** Path of `full` relative to `base` with `/` separators, for problem reports. */
export const displayPath = (base: string, full: string): string => relative(base, full).split(sep).join('/') || '.';

/**
 * Writes `name` in `dir` through a temporary file and a rename, so an existing symlink at the target
 * is replaced rather than followed.
 */
export async function writeAtomic(dir: string, name: string, data: Buffer | string, mode: number): Promise<void> {
  const target = join(dir, name);
  const tmp = join(dir, `.${name}.${randomBytes(6).toString('hex')}.tmp`);
  try {
    await writeFile(tmp, data, { mode, flag: 'wx' });
    await chmod(tmp, mode);
    await rename(tmp, target);
  } catch (err) {
    await rm(tmp, { force: true });
    throw err;
  }
}

export async function lstatOrUndefined(path: string) {
  try {
    return await lstat(path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
}
