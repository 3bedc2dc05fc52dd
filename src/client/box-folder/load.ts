import { readdir } from 'node:fs/promises';
import { parseDocument, isScalar } from 'yaml';
import { schemaName } from '../../shared/box-format.js';
import { contentTypeFor, localFile, locate, lstatOrUndefined, readCapped, unsafePathReason } from './fs-safe.js';
import { automaticUpdates, checkVariables } from './variables.js';
import {
  BOX_TYPES,
  EVENT_NAMES,
  LIMITS,
  RENAMED_EVENTS,
  SCHEMA_BASE,
  type BoxFolderDoc,
  type BoxType,
  type EventName,
  type LocalBox,
  type Severity,
} from './types.js';

const COMMON_KEYS = [
  'id',
  'name',
  'description',
  'requirements',
  'schema',
  'variables',
  'icon',
  'automatic_updates',
  'friendly_id',
  'checks',
];
/** Keys only some box types have (cam-api.md §3.1) that box.yaml keeps as written, in `BoxFolderDoc.extra`. */
export const EXTRA_KEYS: Readonly<Record<string, BoxType>> = {
  claims: 'policy',
  profile: 'policy',
  provider_id: 'policy',
  lifespan: 'policy',
  services: 'application',
  type: 'cloudformation',
};
/** Keys only some box types have: the extra keys, and the files of docker and cloudformation boxes. */
const TYPE_KEYS: Readonly<Record<string, BoxType>> = {
  ...EXTRA_KEYS,
  dockerfile: 'docker',
  template: 'cloudformation',
};
const README = /^readme\.md$/i;

/** Reports a problem about `file` (a path relative to the box folder). */
export type Report = (file: string, message: string, severity?: Severity) => void;

/** The box type a schema URL names; `undefined` for an unknown schema. */
export function boxTypeOf(schema: string): BoxType | undefined {
  const name = schemaName(schema);
  if (name === undefined) return undefined;
  const m = /^boxes\/([a-z]+)$/.exec(name);
  return m && (BOX_TYPES as readonly string[]).includes(m[1]!) ? (m[1] as BoxType) : undefined;
}

/** Parses box.yaml text. Returns the document or undefined after reporting why not. */
export function parseBoxYaml(text: string, report: Report) {
  const doc = parseDocument(text, { prettyErrors: true, uniqueKeys: true });
  for (const e of doc.errors) report('box.yaml', `YAML syntax: ${e.message.split('\n')[0]}`);
  if (doc.errors.length > 0) return undefined;
  const data: unknown = doc.toJS({ maxAliasCount: 100 });
  if (typeof data !== 'object' || data === null || Array.isArray(data)) {
    report('box.yaml', 'must be a mapping of box fields');
    return undefined;
  }
  const sourceOf = (i: number, key: string): string | undefined => {
    const node = doc.getIn(['variables', i, key], true);
    return isScalar(node) ? node.source : undefined;
  };
  return { data: data as Record<string, unknown>, sourceOf };
}

/**
 * Reads one box folder whose real path is `root`, reporting every problem found. Box and Binding
 * references are left for the tree loader. Returns undefined when box.yaml is unusable.
 */
export async function loadFolder(root: string, folder: string, report: Report): Promise<LocalBox | undefined> {
  const yamlText = await readReferenced(root, 'box.yaml', LIMITS.boxYamlBytes, report);
  if (!yamlText) return undefined;
  const parsed = parseBoxYaml(yamlText.toString('utf8'), report);
  if (!parsed) return undefined;
  const { data } = parsed;
  const bad = (msg: string) => report('box.yaml', msg);

  const schema = data.schema === undefined || data.schema === null ? `${SCHEMA_BASE}boxes/script` : data.schema;
  const type = typeof schema === 'string' ? boxTypeOf(schema) : undefined;
  if (!type) bad(`schema must be ${SCHEMA_BASE}boxes/{${BOX_TYPES.join(',')}}`);
  for (const key of Object.keys(data)) {
    if (COMMON_KEYS.includes(key)) continue;
    const only = TYPE_KEYS[key];
    if (!only) bad(`unknown key '${key}'`);
    else if (type && only !== type) bad(`key '${key}' belongs to ${only} boxes, not ${type} boxes`);
  }
  const str = (key: string): string | undefined => {
    const v = data[key];
    if (v === undefined || v === null) return undefined;
    if (typeof v === 'string') return v;
    bad(`${key} must be a string`);
    return undefined;
  };
  const name = str('name');
  if (!name || name.trim() === '') bad('name is required');
  const doc: BoxFolderDoc = {
    name: name ?? '',
    schema: typeof schema === 'string' ? schema : '',
    automatic_updates: automaticUpdates(data.automatic_updates) ?? 'off',
    variables: [],
    extra: {},
  };
  for (const key of ['id', 'description', 'icon', 'friendly_id'] as const) {
    const v = str(key);
    if (v !== undefined) doc[key] = v;
  }
  if (!automaticUpdates(data.automatic_updates)) bad('automatic_updates must be off, major, minor or patch');
  if (data.requirements !== undefined && data.requirements !== null) {
    const r = data.requirements;
    if (Array.isArray(r) && r.every((x) => typeof x === 'string')) doc.requirements = r as string[];
    else bad('requirements must be a list of strings');
  }
  if (type === 'policy' && doc.requirements?.length)
    bad('policy boxes have no requirements: list what the policy offers in claims');
  for (const key of Object.keys(EXTRA_KEYS)) if (data[key] !== undefined) doc.extra[key] = data[key];
  // Monitoring checks the box's instances run (issue 14); the server judges each definition.
  if (data.checks !== undefined && data.checks !== null) {
    const c = data.checks;
    if (!Array.isArray(c) || !c.every((x) => x !== null && typeof x === 'object' && !Array.isArray(x)))
      bad('checks must be a list of check definitions (name, command or builtin, interval, …)');
    else if ((type === 'policy' || type === 'cloudformation') && c.length)
      bad(`${type} boxes have no checks: declare them in the boxes their instances run`);
    else doc.extra.checks = c;
  }

  const checked = checkVariables(data.variables, parsed.sourceOf);
  checked.errors.forEach(bad);
  doc.variables = checked.variables;

  const box: LocalBox = {
    dir: root,
    folder,
    type: type ?? 'script',
    doc,
    events: {},
    files: {},
    children: [],
    bindings: [],
    services: [],
  };
  await loadFiles(box, report);
  await loadExtras(box, data, report);
  await loadEvents(box, report);
  return box;
}

async function readReferenced(root: string, rel: string, max: number, report: Report): Promise<Buffer | undefined> {
  const where = await locate(root, rel);
  if (!where.ok) {
    report(rel, where.reason);
    return undefined;
  }
  const content = await readCapped(where.path, max);
  if (typeof content === 'string') {
    report(rel, content);
    return undefined;
  }
  return content;
}

async function listDir(root: string, rel: string, report: Report): Promise<string[]> {
  const where = await locate(root, rel);
  if (!where.ok) {
    if (!where.missing) report(rel, where.reason);
    return [];
  }
  const info = await lstatOrUndefined(where.path);
  if (!info?.isDirectory()) {
    report(rel, 'must be a directory');
    return [];
  }
  return (await readdir(where.path)).filter((n) => !n.startsWith('.')).sort();
}

async function loadFiles(box: LocalBox, report: Report): Promise<void> {
  const referenced = new Set<string>();
  for (const v of box.doc.variables) {
    if (v.type !== 'File' || v.value === '' || unsafePathReason(v.value) || !v.value.startsWith('files/')) continue;
    referenced.add(v.value);
    if (box.files[v.value]) continue;
    const content = await readReferenced(box.dir, v.value, LIMITS.fileBytes, (f, m) =>
      report(f, `File variable ${v.name}: ${f} ${m}`),
    );
    if (content) box.files[v.value] = localFile(v.value, content);
  }
  const entries = await listDir(box.dir, 'files', report);
  if (entries.length > LIMITS.entries) report('files', `more than ${LIMITS.entries} entries`);
  for (const name of entries)
    if (!referenced.has(`files/${name}`)) report(`files/${name}`, 'not used by any File variable', 'warning');
}

async function loadEvents(box: LocalBox, report: Report): Promise<void> {
  const entries = await listDir(box.dir, 'events', report);
  if (entries.length > 0 && box.type !== 'script' && box.type !== 'docker')
    report('events', `${box.type} boxes have no event scripts`);
  if (entries.length + Object.keys(box.files).length > LIMITS.entries)
    report('events', `more than ${LIMITS.entries} event and file entries`);
  const from: Partial<Record<EventName, string>> = {};
  for (const name of entries.slice(0, LIMITS.entries)) {
    const rel = `events/${name}`;
    const event = (EVENT_NAMES as readonly string[]).includes(name) ? (name as EventName) : RENAMED_EVENTS[name];
    if (!event) {
      report(rel, `unknown event; events are ${EVENT_NAMES.join(', ')} (terminate, post_terminate accepted)`);
      continue;
    }
    if (from[event]) {
      report(rel, `duplicates events/${from[event]} (both are the ${event} event)`);
      continue;
    }
    const where = await locate(box.dir, rel);
    if (!where.ok) {
      report(rel, where.reason);
      continue;
    }
    const info = await lstatOrUndefined(where.path);
    if (info?.isFile() && (info.mode & 0o100) === 0) report(rel, 'script is not executable (chmod u+x)', 'warning');
    const content = await readCapped(where.path, LIMITS.fileBytes);
    if (typeof content === 'string') {
      report(rel, content);
      continue;
    }
    from[event] = name;
    box.events[event] = localFile(`events/${event}`, content, 'text/x-shellscript');
  }
}

async function loadExtras(box: LocalBox, data: Record<string, unknown>, report: Report): Promise<void> {
  const top = await listDir(box.dir, '.', report);
  const readme = top.includes('readme.MD') ? 'readme.MD' : top.find((n) => README.test(n));
  if (readme) {
    const content = await readReferenced(box.dir, readme, LIMITS.fileBytes, report);
    if (content) box.readme = localFile('readme.MD', content, 'text/x-markdown');
  }
  const icon = box.doc.icon;
  if (icon !== undefined && !/^[a-z][a-z0-9+.-]*:\/\//i.test(icon)) {
    const unsafe = unsafePathReason(icon);
    if (unsafe) report('box.yaml', `icon path ${unsafe}`);
    else {
      // An icon that is not in the folder is a built-in image path (images/platform/redis.png).
      const where = await locate(box.dir, icon);
      if (where.ok || !where.missing) {
        const content = await readReferenced(box.dir, icon, LIMITS.fileBytes, report);
        if (content) box.icon = localFile(icon, content, contentTypeFor(icon));
      }
    }
  }
  for (const key of ['dockerfile', 'template'] as const) {
    const rel = data[key];
    if (rel === undefined || rel === null) continue;
    if (typeof rel !== 'string') {
      report('box.yaml', `${key} must be the path of a file in the box folder`);
      continue;
    }
    const unsafe = unsafePathReason(rel);
    if (unsafe) {
      report('box.yaml', `${key} path ${unsafe}`);
      continue;
    }
    const content = await readReferenced(box.dir, rel, LIMITS.fileBytes, report);
    if (content) {
      box.doc[key] = rel;
      box[key] = localFile(rel, content, 'text/plain');
    }
  }
}
