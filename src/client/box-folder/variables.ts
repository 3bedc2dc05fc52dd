import { AUTOMATIC_UPDATES, VARIABLE_KEYS } from '../../shared/box-format.js';
import { isIdentifier, isScope, MAX_IDENTIFIER } from '../../shared/identifiers.js';
import { unsafePathReason } from './fs-safe.js';
import { VARIABLE_TYPES, type AutomaticUpdates, type BoxVariable, type VariableType } from './types.js';

const KNOWN_KEYS = new Set<string>(VARIABLE_KEYS);
const FILE_VALUE = /^files\/[^/\\]+$/;

/** `automatic_updates` as written, or undefined when invalid (YAML 1.1 reads a bare `off` as false). */
export function automaticUpdates(raw: unknown): AutomaticUpdates | undefined {
  if (raw === false || raw === undefined || raw === null) return 'off';
  return typeof raw === 'string' && (AUTOMATIC_UPDATES as readonly string[]).includes(raw)
    ? (raw as AutomaticUpdates)
    : undefined;
}

/** A scalar written in YAML as a string; `source` is the text as written, so `1.10` stays `1.10`. */
export function scalarText(raw: unknown, source: string | undefined): string | undefined {
  if (raw === undefined || raw === null) return '';
  if (typeof raw === 'string') return raw;
  if (typeof raw === 'number' || typeof raw === 'boolean' || typeof raw === 'bigint') return source ?? String(raw);
  return undefined;
}

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

export interface CheckedVariables {
  variables: BoxVariable[];
  /** Messages prefixed with the variable they concern. */
  errors: string[];
}

/**
 * Checks the `variables` list of a box.yaml and normalises it. `sourceOf(i, key)` gives the text of a
 * scalar as written. File paths, Box and Binding targets are checked by the folder loader.
 */
export function checkVariables(
  raw: unknown,
  sourceOf: (index: number, key: string) => string | undefined,
): CheckedVariables {
  const errors: string[] = [];
  const variables: BoxVariable[] = [];
  if (raw === undefined || raw === null) return { variables, errors };
  if (!Array.isArray(raw)) return { variables, errors: ['variables: must be a list'] };
  const seen = new Set<string>();
  raw.forEach((item: unknown, i) => {
    const at = (msg: string) => errors.push(`variables[${i}]${label(item)}: ${msg}`);
    if (!isRecord(item)) return at('must be a mapping');
    for (const key of Object.keys(item)) if (!KNOWN_KEYS.has(key)) at(`unknown key '${key}'`);
    const { name, type } = item;
    if (typeof name !== 'string' || !isIdentifier(name))
      return at(`name must be up to ${MAX_IDENTIFIER} letters, digits and underscores, not starting with a digit`);
    if (typeof type !== 'string' || !(VARIABLE_TYPES as readonly string[]).includes(type))
      return at(`type must be one of ${VARIABLE_TYPES.join(', ')}`);
    const value = scalarText(item.value, sourceOf(i, 'value'));
    if (value === undefined) return at('value must be a scalar');
    const v: BoxVariable = { name, type: type as VariableType, value };
    if (item.scope !== undefined && item.scope !== null && item.scope !== '') {
      if (typeof item.scope !== 'string' || !isScope(item.scope)) at('scope must be dotted variable names');
      else v.scope = item.scope;
    }
    const key = `${v.scope ?? ''}\0${name}`;
    if (seen.has(key)) at(`duplicate variable (name ${name}, scope '${v.scope ?? ''}')`);
    seen.add(key);
    if (item.required !== undefined) {
      if (typeof item.required !== 'boolean') at('required must be true or false');
      else v.required = item.required;
    }
    if (item.visibility !== undefined) {
      if (item.visibility === 'public' || item.visibility === 'private' || item.visibility === 'internal')
        v.visibility = item.visibility;
      else at('visibility must be public, private or internal');
    }
    if (item.options !== undefined) {
      const options = scalarText(item.options, sourceOf(i, 'options'));
      if (options === undefined) at('options must be a comma-separated string');
      else v.options = options;
    }
    if (item.automatic_updates !== undefined) {
      const updates = automaticUpdates(item.automatic_updates);
      if (type !== 'Box') at('automatic_updates applies to Box variables only');
      else if (!updates) at('automatic_updates must be off, major, minor or patch');
      else v.automatic_updates = updates;
    }
    if (item.tags !== undefined) {
      if (!Array.isArray(item.tags) || !item.tags.every((t) => typeof t === 'string'))
        at('tags must be a list of strings');
      else v.tags = item.tags as string[];
    }
    const problem = valueProblem(v);
    if (problem) at(problem);
    variables.push(v);
  });
  return { variables, errors };
}

function label(item: unknown): string {
  return isRecord(item) && typeof item.name === 'string' ? ` (${item.name})` : '';
}

function valueProblem(v: BoxVariable): string | undefined {
  const { type, value } = v;
  switch (type) {
    case 'Number':
      return value === '' || /^[-+]?\d{1,18}$/.test(value) ? undefined : `Number value '${value}' is not an integer`;
    case 'Port':
      return value === '' || (/^\d{1,5}$/.test(value) && Number(value) <= 65535)
        ? undefined
        : `Port value '${value}' is not a port number (0-65535)`;
    case 'Options': {
      if (v.options === undefined) return 'Options variables need options (comma-separated choices)';
      const choices = v.options.split(',').map((o) => o.trim());
      return choices.includes(value.trim())
        ? undefined
        : `value '${value}' is not one of the options ${choices.join(', ')}`;
    }
    case 'File': {
      if (value === '') return undefined;
      const unsafe = unsafePathReason(value);
      if (unsafe) return `File value path ${unsafe}`;
      if (FILE_VALUE.test(value)) return undefined;
      return `File value must be files/<name>, got '${value}'`;
    }
    case 'Box':
      return value === '' ? 'Box value must name a box folder (by box name or id)' : undefined;
    default:
      return undefined;
  }
}
