import { readdir, realpath, stat } from 'node:fs/promises';
import { basename, dirname, resolve } from 'node:path';
import { UUID } from '../../shared/ids.js';
import { locate, readCapped } from './fs-safe.js';
import { loadFolder, parseBoxYaml, type Report } from './load.js';
import { checkEventTemplates } from './templates.js';
import { BoxFolderError, LIMITS, type LocalBox, type Problem } from './types.js';

interface Sibling {
  dir: string;
  folder: string;
  id?: string;
  name?: string;
}

/** The box folders next to a root folder, found by folder name, box name or box id. */
class SiblingIndex {
  private siblings?: Sibling[];

  constructor(private readonly boxesPath: string) {}

  /** The folders a Box or Binding value names: by `id` first, then folder name, then box name. */
  async find(value: string): Promise<Sibling[]> {
    const all = await this.load();
    for (const match of [
      (s: Sibling) => s.id === value,
      (s: Sibling) => s.folder === value,
      (s: Sibling) => s.name === value,
    ]) {
      const found = all.filter(match);
      if (found.length > 0) return found;
    }
    return [];
  }

  private async load(): Promise<Sibling[]> {
    if (this.siblings) return this.siblings;
    this.siblings = [];
    let real: string;
    let names: string[];
    try {
      real = await realpath(this.boxesPath);
      names = (await readdir(real)).filter((n) => !n.startsWith('.')).sort();
    } catch {
      return this.siblings;
    }
    for (const folder of names.slice(0, LIMITS.boxes * 5)) {
      const where = await locate(real, folder);
      // A sibling that is a symlink to somewhere else is never followed.
      if (!where.ok || !(await stat(where.path)).isDirectory()) continue;
      const sibling: Sibling = { dir: where.path, folder };
      const yaml = await locate(where.path, 'box.yaml');
      const text = yaml.ok ? await readCapped(yaml.path, LIMITS.boxYamlBytes) : undefined;
      const data = Buffer.isBuffer(text) ? parseBoxYaml(text.toString('utf8'), () => {})?.data : undefined;
      if (typeof data?.id === 'string') sibling.id = data.id;
      if (typeof data?.name === 'string') sibling.name = data.name;
      this.siblings.push(sibling);
    }
    return this.siblings;
  }
}

/** `[i, id]` for each `services[i].box.id` of an application box. */
function serviceBoxIds(box: LocalBox): [number, string][] {
  const services = box.doc.extra.services;
  if (!Array.isArray(services)) return [];
  const out: [number, string][] = [];
  services.forEach((s: unknown, i) => {
    const id = (s as { box?: { id?: unknown } } | null)?.box?.id;
    if (typeof id === 'string' && id !== '') out.push([i, id]);
  });
  return out;
}

interface Loaded {
  root?: LocalBox;
  problems: Problem[];
}

/**
 * Reads a box folder and every sibling folder it references through Box variables (required) and
 * Binding variables (when a sibling matches), collecting all problems.
 */
async function loadTree(dir: string): Promise<Loaded> {
  const problems: Problem[] = [];
  const boxesPath = dirname(resolve(dir));
  const siblings = new SiblingIndex(boxesPath);
  const cache = new Map<string, LocalBox | null>();
  const reporter =
    (folder: string): Report =>
    (file, message, severity = 'error') =>
      problems.push({ file: file === '.' ? folder : `${folder}/${file}`, message, severity });

  let rootReal: string;
  try {
    rootReal = await realpath(resolve(dir));
    if (!(await stat(rootReal)).isDirectory()) throw new Error('not a directory');
  } catch {
    problems.push({
      file: basename(resolve(dir)),
      message: 'is not a box folder (no such directory)',
      severity: 'error',
    });
    return { problems };
  }

  const visit = async (real: string, folder: string, stack: string[]): Promise<LocalBox | undefined> => {
    if (cache.has(real)) return cache.get(real) ?? undefined;
    if (cache.size >= LIMITS.boxes) {
      reporter(folder)('.', `the box tree spans more than ${LIMITS.boxes} folders`);
      return undefined;
    }
    const report = reporter(folder);
    cache.set(real, null);
    const box = await loadFolder(real, folder, report);
    cache.set(real, box ?? null);
    if (!box) return undefined;
    checkEventTemplates(box, report);
    for (const variable of box.doc.variables) {
      if (variable.type !== 'Box' && variable.type !== 'Binding') continue;
      if (variable.value === '' || variable.value === 'AnyBox') continue;
      const what = `${variable.type} variable ${variable.name}`;
      const found = await siblings.find(variable.value);
      if (found.length > 1) {
        report('box.yaml', `${what}: '${variable.value}' matches several folders: ${found.map((s) => s.folder)}`);
        continue;
      }
      const target = found[0];
      if (!target) {
        if (variable.type === 'Box')
          report('box.yaml', `${what}: no box folder in ${boxesPath} is named or has the id '${variable.value}'`);
        else if (!UUID.test(variable.value))
          report('box.yaml', `${what}: '${variable.value}' is not AnyBox, a box id or a box folder next to this one`);
        continue;
      }
      if (variable.type === 'Box') {
        if (stack.includes(target.dir)) {
          report('box.yaml', `${what}: box ${target.folder} contains itself`);
          continue;
        }
        if (stack.length >= LIMITS.depth) {
          report('box.yaml', `${what}: Box nesting deeper than ${LIMITS.depth} levels`);
          continue;
        }
      }
      const child = await visit(target.dir, target.folder, [...stack, target.dir]);
      if (!child) continue;
      (variable.type === 'Box' ? box.children : box.bindings).push({ variable, box: child });
    }
    for (const [index, id] of serviceBoxIds(box)) {
      const found = await siblings.find(id);
      const target = found.length === 1 ? found[0] : undefined;
      const child =
        target && !stack.includes(target.dir)
          ? await visit(target.dir, target.folder, [...stack, target.dir])
          : undefined;
      if (child) box.services.push({ index, box: child });
    }
    return box;
  };

  const root = await visit(rootReal, basename(resolve(dir)), [rootReal]);
  return root ? { root, problems } : { problems };
}

/**
 * Checks a box folder (and the sibling folders it references) against the CAM export format.
 * Returns every problem found; empty when the folder is valid. Never throws for a bad folder.
 */
export async function validateBoxFolder(dir: string): Promise<Problem[]> {
  return (await loadTree(dir)).problems;
}

/**
 * Reads `<boxes-path>/<Box Name>/` into memory with every box it references, children resolved.
 * Throws `BoxFolderError` (listing the problems) when the folder or a referenced one is invalid;
 * warnings do not stop it.
 */
export async function readBoxFolder(dir: string): Promise<LocalBox> {
  const { root, problems } = await loadTree(dir);
  const errors = problems.filter((p) => p.severity === 'error');
  if (!root || errors.length > 0) {
    const first = errors[0] ?? problems[0];
    const more = errors.length > 1 ? ` (and ${errors.length - 1} more)` : '';
    throw new BoxFolderError(`Invalid box folder ${dir}: ${first?.file}: ${first?.message}${more}`, errors);
  }
  return root;
}

/** Every box of a tree once, children (and binding targets) before the boxes that use them. */
export function boxesInImportOrder(root: LocalBox): LocalBox[] {
  const out: LocalBox[] = [];
  const seen = new Set<LocalBox>();
  const walk = (box: LocalBox) => {
    if (seen.has(box)) return;
    seen.add(box);
    for (const c of box.children) walk(c.box);
    for (const b of box.bindings) walk(b.box);
    for (const s of box.services) walk(s.box);
    out.push(box);
  };
  walk(root);
  return out;
}
