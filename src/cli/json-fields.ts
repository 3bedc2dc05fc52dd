import { UsageError } from './errors.js';

/** `id,name,state` or dotted paths such as `instance.name`. */
const FIELD_LIST = /^[A-Za-z_]\w*(\.[A-Za-z_]\w*)*(,[A-Za-z_]\w*(\.[A-Za-z_]\w*)*)*$/;

/**
 * Takes the optional field list of `--json` out of argv (as gh's `--json id,name`): `--json=LIST`
 * always, `--json LIST` when the next word is a field list and either contains a comma or the
 * command takes no arguments (so `instances show --json web` still reads `web` as the instance).
 * What remains is argv with a bare `--json`, which oclif parses as its boolean flag.
 */
export function extractJsonFields(argv: string[], takesArgs: boolean): { argv: string[]; fields?: string[] } {
  const end = argv.indexOf('--');
  const head = end < 0 ? argv : argv.slice(0, end);
  const tail = end < 0 ? [] : argv.slice(end);
  let fields: string[] | undefined;
  const out: string[] = [];
  for (let i = 0; i < head.length; i++) {
    const arg = head[i]!;
    if (arg.startsWith('--json=')) {
      const list = arg.slice('--json='.length);
      if (!FIELD_LIST.test(list)) throw new UsageError(`--json=${list}: expected comma-separated field names`);
      fields = list.split(',');
      out.push('--json');
      continue;
    }
    out.push(arg);
    const next = head[i + 1];
    if (arg === '--json' && next !== undefined && FIELD_LIST.test(next) && (!takesArgs || next.includes(','))) {
      fields = next.split(',');
      i++;
    }
  }
  return { argv: [...out, ...tail], fields };
}

function pick(obj: unknown, path: string): unknown {
  let v: unknown = obj;
  for (const key of path.split('.')) {
    if (v === null || typeof v !== 'object') return undefined;
    v = (v as Record<string, unknown>)[key];
  }
  return v;
}

function has(obj: unknown, path: string): boolean {
  let v: unknown = obj;
  for (const key of path.split('.')) {
    if (v === null || typeof v !== 'object' || !(key in (v as object))) return false;
    v = (v as Record<string, unknown>)[key];
  }
  return true;
}

/** Checks field names against those a command documents (before it acts). */
export function checkJsonFields(fields: string[], available: readonly string[]): void {
  const unknown = fields.filter((f) => !available.includes(f.split('.')[0]!));
  if (unknown.length) {
    throw new UsageError(
      `unknown JSON field${unknown.length > 1 ? 's' : ''} ${unknown.join(', ')}; available fields: ${available.join(', ')}`,
    );
  }
}

/**
 * Keeps only `fields` of a result (each element of an array result). A field that no element has
 * is a usage error listing the fields there are; a field some elements lack is `null` in those.
 */
export function projectJson(value: unknown, fields: string[]): unknown {
  const rows = Array.isArray(value) ? value : [value];
  if (rows.length > 0) {
    const available = [
      ...new Set(rows.flatMap((r) => (r && typeof r === 'object' ? Object.keys(r as object) : []))),
    ].sort();
    const unknown = fields.filter((f) => !rows.some((r) => has(r, f)) && !available.includes(f.split('.')[0]!));
    if (unknown.length) checkJsonFields(unknown, available);
  }
  const one = (r: unknown) => Object.fromEntries(fields.map((f) => [f, pick(r, f) ?? null]));
  return Array.isArray(value) ? value.map(one) : one(value);
}
