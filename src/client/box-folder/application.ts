import { parseDocument, isMap, isPair, isScalar, type Node } from 'yaml';
import { MAX_INSTANCE_NAME } from '../../shared/ids.js';

/** A variable of an application entry; `scope.VAR` keys are split, Binding tag lists kept as `tags`. */
export interface ApplicationVariable {
  name: string;
  /** Dotted path of Box-variable names for a nested box; absent for the main box. */
  scope?: string;
  /** A scalar value, as a string. Absent when `tags` is given. */
  value?: string;
  /** A list value: the tags a Binding binds to. */
  tags?: string[];
}

/** One instance to deploy from an ebcli application document (cam-api.md §6.2). */
export interface ApplicationEntry {
  /** Instance name (the entry's key). */
  name: string;
  /** `<owner>/<box name or friendly_id>`; `owner` is absent when no `/` was written. */
  box: { owner?: string; name: string };
  /** Policy claims. */
  policy: string[];
  tags: string[];
  variables: ApplicationVariable[];
}

/** An application document that cannot be used; `problems` lists every reason. */
export class ApplicationDocumentError extends Error {
  override readonly name = 'ApplicationDocumentError';
  constructor(readonly problems: string[]) {
    super(`Invalid application document: ${problems.join('; ')}`);
  }
}

const ENTRY_KEYS = new Set(['box', 'policy', 'tags', 'variables']);
const VARIABLE_KEY = /^([A-Za-z_][A-Za-z0-9_]*\.)*[A-Za-z_][A-Za-z0-9_]*$/;
const MAX_NAME = MAX_INSTANCE_NAME;

/** The text of a scalar node as written, so `1.10` stays `1.10` and `0755` stays `0755`. */
function text(node: unknown): string | undefined {
  if (!isScalar(node)) return undefined;
  const { value } = node;
  if (value === null || value === undefined) return '';
  if (typeof value === 'string') return value;
  return node.source ?? String(value);
}

function stringList(node: unknown, where: string, problems: string[]): string[] {
  if (node === undefined || node === null) return [];
  const one = text(node);
  if (one !== undefined) return one === '' ? [] : [one];
  const items = (node as { items?: unknown[] }).items;
  if (!Array.isArray(items) || isMap(node)) {
    problems.push(`${where} must be a list of strings`);
    return [];
  }
  const out: string[] = [];
  for (const item of items) {
    const t = text(item);
    if (t === undefined || t === '') problems.push(`${where} must be a list of non-empty strings`);
    else out.push(t);
  }
  return out;
}

/**
 * Parses an ebcli application document: a mapping of instance name → `{box, policy, tags, variables}`,
 * in document order. Throws `ApplicationDocumentError` naming every problem.
 */
export function parseApplicationDocument(yamlText: string): ApplicationEntry[] {
  const doc = parseDocument(yamlText, { uniqueKeys: true });
  if (doc.errors.length > 0)
    throw new ApplicationDocumentError(doc.errors.map((e) => `YAML syntax: ${e.message.split('\n')[0]}`));
  const root = doc.contents;
  if (!isMap(root) || root.items.length === 0)
    throw new ApplicationDocumentError(['the document must be a mapping of instance names to {box, …} entries']);
  const problems: string[] = [];
  const entries: ApplicationEntry[] = [];
  for (const pair of root.items) {
    const name = text(pair.key);
    if (!name) {
      problems.push('every instance name must be a non-empty string');
      continue;
    }
    if (name.length > MAX_NAME) problems.push(`${name}: instance names are at most ${MAX_NAME} characters`);
    const entry = parseEntry(name, pair.value as Node | null, problems);
    if (entry) entries.push(entry);
  }
  if (problems.length > 0) throw new ApplicationDocumentError(problems);
  return entries;
}

function parseEntry(name: string, node: Node | null, problems: string[]): ApplicationEntry | undefined {
  if (!isMap(node)) {
    problems.push(`${name}: must be a mapping with at least a box`);
    return undefined;
  }
  const fields = new Map<string, unknown>();
  for (const pair of node.items) {
    const key = text(pair.key) ?? '';
    if (!ENTRY_KEYS.has(key)) problems.push(`${name}: unknown key '${key}' (expected box, policy, tags, variables)`);
    fields.set(key, pair.value);
  }
  const boxText = text(fields.get('box'));
  if (!boxText) {
    problems.push(`${name}: box is required, as <owner>/<box name>`);
    return undefined;
  }
  const slash = boxText.indexOf('/');
  const box =
    slash < 0 ? { name: boxText } : { owner: boxText.slice(0, slash) || undefined, name: boxText.slice(slash + 1) };
  if (box.owner === undefined) delete box.owner;
  if (!box.name) problems.push(`${name}: box '${boxText}' names no box after the owner`);
  const entry: ApplicationEntry = {
    name,
    box,
    policy: stringList(fields.get('policy'), `${name}: policy`, problems),
    tags: stringList(fields.get('tags'), `${name}: tags`, problems),
    variables: [],
  };
  const vars = fields.get('variables');
  if (vars === undefined || vars === null || (isScalar(vars) && vars.value === null)) return entry;
  if (!isMap(vars)) {
    problems.push(`${name}: variables must be a mapping of NAME (or scope.NAME) to a value`);
    return entry;
  }
  for (const pair of vars.items) {
    if (!isPair(pair)) continue;
    const key = text(pair.key) ?? '';
    if (!VARIABLE_KEY.test(key)) {
      problems.push(`${name}: variable '${key}' is not NAME or scope.NAME`);
      continue;
    }
    const dot = key.lastIndexOf('.');
    const variable: ApplicationVariable =
      dot < 0 ? { name: key } : { name: key.slice(dot + 1), scope: key.slice(0, dot) };
    const value = text(pair.value);
    if (value !== undefined) variable.value = value;
    else if (isMap(pair.value)) {
      problems.push(`${name}: variable ${key} must be a value or a list of binding tags`);
      continue;
    } else variable.tags = stringList(pair.value, `${name}: variable ${key}`, problems);
    entry.variables.push(variable);
  }
  return entry;
}
