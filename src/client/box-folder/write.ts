import { mkdir, readdir, realpath, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { VARIABLE_KEYS } from '../../shared/box-format.js';
import { resolveInside } from '../../shared/paths.js';
import { isWithin, lstatOrUndefined, writeAtomic } from './fs-safe.js';
import { boxTypeOf, EXTRA_KEYS } from './load.js';
import { BoxFolderError, EVENT_NAMES, LIMITS, RENAMED_EVENTS, type BoxExportApi, type RemoteBox } from './types.js';

const RESERVED = new Set(['box.yaml', 'readme.MD', 'events', 'files']);

/** box.yaml text as PyYAML `safe_dump` writes it: block style, keys sorted, YAML 1.1 scalars quoted. */
export function dumpBoxYaml(doc: Record<string, unknown>): string {
  return stringify(doc, { version: '1.1', sortMapEntries: true, indentSeq: false, singleQuote: true, lineWidth: 0 });
}

/** A file or folder name made from a box name or URL segment: no separators, NUL or dot names. */
export function safeName(raw: string, fallback: string): string {
  const name = raw.replace(/[/\\\0]/g, '_').trim();
  return name === '' || name === '.' || name === '..' ? fallback : name;
}

function urlBasename(url: string, fallback: string): string {
  const last = url.split(/[?#]/)[0]!.split('/').pop() ?? '';
  let decoded = last;
  try {
    decoded = decodeURIComponent(last);
  } catch {
    // keep the raw segment
  }
  return safeName(decoded, fallback);
}

/** Makes `dir` (inside the real folder `root`) a real directory, refusing symlinks and other files. */
async function ensureDir(root: string, rel: string): Promise<string> {
  const full = resolveInside(root, rel);
  const info = await lstatOrUndefined(full);
  if (!info) await mkdir(full, { mode: 0o755 });
  else if (!info.isDirectory())
    throw new BoxFolderError(`Refusing to write into ${full}: it is not a directory (or is a symlink)`);
  const real = await realpath(full);
  if (!isWithin(root, real)) throw new BoxFolderError(`Refusing to write outside ${root}: ${full}`);
  return real;
}

export interface WrittenFolder {
  id: string;
  name: string;
  dir: string;
  files: string[];
}

/**
 * Writes one box document as `<boxesPath>/<folder>/` in the CAM export layout (cam-api.md §6.1),
 * downloading events, File-variable contents, readme and icon with `fetchBlob`. Never writes
 * outside `boxesPath`; existing symlinks are replaced, never followed.
 */
export async function writeBoxFolder(
  boxesPath: string,
  box: RemoteBox,
  fetchBlob: (url: string) => Promise<Buffer>,
  options: { folder?: string } = {},
): Promise<WrittenFolder> {
  await mkdir(boxesPath, { recursive: true });
  const root = await realpath(boxesPath);
  const folder = safeName(options.folder ?? box.name, box.id);
  const dir = await ensureDir(root, folder);
  const written: string[] = [];
  const put = async (rel: string, data: Buffer | string, mode: number) => {
    const parts = rel.split('/');
    const parent = parts.length > 1 ? await ensureDir(dir, parts[0]!) : dir;
    await writeAtomic(parent, parts[parts.length - 1]!, data, mode);
    written.push(rel);
  };
  const type = boxTypeOf(box.schema) ?? 'script';
  const yaml: Record<string, unknown> = { id: box.id, name: box.name, schema: box.schema };
  if (box.description) yaml.description = box.description;
  if (box.requirements?.length || type === 'script' || type === 'docker') yaml.requirements = box.requirements ?? [];
  if (box.automatic_updates && box.automatic_updates !== 'off') yaml.automatic_updates = box.automatic_updates;
  if (box.friendly_id) yaml.friendly_id = box.friendly_id;
  for (const [key, only] of Object.entries(EXTRA_KEYS))
    if (only === type && box[key] !== undefined && box[key] !== null) yaml[key] = box[key];
  if (Array.isArray(box.checks) && box.checks.length) yaml.checks = box.checks;

  const fileNames = new Map<string, string>();
  const used = new Set<string>();
  yaml.variables = [];
  for (const v of box.variables ?? []) {
    const out: Record<string, unknown> = {};
    for (const key of VARIABLE_KEYS) if (v[key] !== undefined) out[key] = v[key];
    out.value = v.value ?? '';
    if (v.type === 'File' && v.value) {
      let name = fileNames.get(v.value);
      if (!name) {
        name = unique(urlBasename(v.value, v.name), used);
        fileNames.set(v.value, name);
        await put(`files/${name}`, await fetchBlob(v.value), 0o644);
      }
      out.value = `files/${name}`;
    }
    (yaml.variables as unknown[]).push(out);
  }

  const events = box.events ?? {};
  for (const [event, ref] of Object.entries(events)) {
    if (!ref?.url || !(EVENT_NAMES as readonly string[]).includes(event)) continue;
    await put(`events/${event}`, await fetchBlob(ref.url), 0o700);
  }
  await removeStale(dir, 'events', (n) => (n in RENAMED_EVENTS || EVENT_NAMES.includes(n as never)) && !events[n]);
  if (box.readme?.url) await put('readme.MD', await fetchBlob(box.readme.url), 0o644);
  else await removeStale(dir, '.', (n) => n === 'readme.MD');

  const icon = box.icon;
  if (icon && icon.includes('/services/blobs/download/')) {
    let name = urlBasename(icon, box.id);
    if (RESERVED.has(name)) name = `icon-${name}`;
    await put(name, await fetchBlob(icon), 0o644);
    yaml.icon = name;
  } else if (icon) yaml.icon = icon;
  for (const [key, fallback] of [
    ['dockerfile', 'Dockerfile'],
    ['template', 'template'],
  ] as const) {
    const ref = box[key];
    if (!ref?.url) continue;
    let name = key === 'dockerfile' ? fallback : urlBasename(ref.url, fallback);
    if (RESERVED.has(name)) name = fallback;
    await put(name, await fetchBlob(ref.url), 0o644);
    yaml[key] = name;
  }
  await writeAtomic(dir, 'box.yaml', dumpBoxYaml(yaml), 0o644);
  written.push('box.yaml');
  return { id: box.id, name: box.name, dir, files: written };
}

function unique(name: string, used: Set<string>): string {
  let candidate = name;
  for (let n = 2; used.has(candidate); n++) {
    const dot = name.lastIndexOf('.');
    candidate = dot > 0 ? `${name.slice(0, dot)}-${n}${name.slice(dot)}` : `${name}-${n}`;
  }
  used.add(candidate);
  return candidate;
}

async function removeStale(dir: string, rel: string, stale: (name: string) => boolean): Promise<void> {
  let names: string[];
  try {
    names = await readdir(resolveInside(dir, rel));
  } catch {
    return;
  }
  for (const name of names) if (stale(name)) await rm(resolveInside(dir, join(rel, name)), { force: true });
}

/**
 * Exports a box and every box it references (Box variables, application `services[].box.id`),
 * each into its own folder under `boxesPath` (only the box itself with `recursive: false`).
 * Returns the folders written, root first.
 */
export async function exportBoxTree(
  api: BoxExportApi,
  id: string,
  boxesPath: string,
  opts: { recursive?: boolean } = {},
): Promise<WrittenFolder[]> {
  const out: WrittenFolder[] = [];
  const done = new Set<string>();
  const folders = new Set<string>();
  const visit = async (boxId: string, depth: number): Promise<void> => {
    if (done.has(boxId)) return;
    if (depth > LIMITS.depth || done.size >= LIMITS.boxes)
      throw new BoxFolderError(`Box tree of ${id} is deeper than ${LIMITS.depth} or larger than ${LIMITS.boxes}`);
    done.add(boxId);
    const box = await api.getBox(boxId);
    const folder = unique(safeName(box.name, box.id), folders);
    out.push(await writeBoxFolder(boxesPath, box, (url) => api.fetchBlob(url), { folder }));
    if (opts.recursive === false) return;
    for (const v of box.variables ?? []) if (v.type === 'Box' && v.value) await visit(v.value, depth + 1);
    const services = Array.isArray(box.services) ? (box.services as Array<{ box?: { id?: unknown } }>) : [];
    for (const s of services) if (typeof s?.box?.id === 'string') await visit(s.box.id, depth + 1);
  };
  await visit(id, 0);
  return out;
}
