/**
 * Template rendering on the machine (cam-api.md §5): Jinja2 through nunjucks (autoescape off,
 * undefined renders empty, Jinja compatibility installed: `True/False/None`, slices, `.items()`,
 * and Python truthiness: empty lists and dicts are false, see jinja-truthiness.ts),
 * and Velocity-style `${VAR}` for `elasticbox config`.
 *
 * Bindings: a list of bound instances also answers field lookups with its first element's fields,
 * so `{{ b.VAR }}` equals `{{ b[0].VAR }}` while `{% for i in b %}` still iterates. This applies to
 * every list of objects in the context (`addresses.public` is `addresses[0].public`). A field whose
 * name is an array property (`length`, `map`, `keys`…) or a Jinja list method (`count`, `index`,
 * `append`…) resolves to that property, not to the first element's field.
 */
import nunjucks from 'nunjucks';
import { installJinjaTruthiness } from './jinja-truthiness.js';

let compatInstalled = false;
function environment(): nunjucks.Environment {
  if (!compatInstalled) {
    nunjucks.installJinjaCompat();
    installJinjaTruthiness();
    compatInstalled = true;
  }
  return new nunjucks.Environment(null, { autoescape: false, throwOnUndefined: false });
}
let env: nunjucks.Environment | undefined;

export type Engine = 'jinja' | 'velocity' | 'both';
type Json = Record<string, unknown>;

const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

/** A render-ready copy of `context` in which lists of objects expose their first element's fields. */
export function prepareContext(value: unknown): unknown {
  if (Array.isArray(value)) {
    const list = value.map(prepareContext);
    const first = list[0];
    if (isObject(first)) {
      for (const [key, field] of Object.entries(first)) {
        if (!(key in list)) Object.defineProperty(list, key, { value: field, enumerable: false });
      }
    }
    return list;
  }
  if (isObject(value)) {
    const out: Json = {};
    for (const [k, v] of Object.entries(value)) out[k] = prepareContext(v);
    return out;
  }
  return value;
}

/** Renders a Jinja2 template. Throws the nunjucks error (message names line and column). */
export function renderJinja(template: string, context: Json): string {
  env ??= environment();
  return env.renderString(template, prepareContext(context) as object);
}

function lookup(context: unknown, path: string): unknown {
  let node = context;
  for (const part of path.split('.')) {
    if (node === null || node === undefined || typeof node !== 'object') return undefined;
    node = (node as Json)[part];
  }
  return node;
}

const VELOCITY = /\$(!?)(?:\{([A-Za-z_][\w-]*(?:\.[A-Za-z_][\w-]*)*)\}|([A-Za-z_]\w*(?:\.[A-Za-z_]\w*)*))/g;

/**
 * Velocity references: `${a.b}` / `$a.b` become the value; an undefined reference stays as written
 * (Velocity's rule, so shell text such as `$HOME` passes through) unless quiet (`$!{x}` → empty).
 * Directives (`#if`, `#foreach`) and `\$` escapes are not supported.
 */
export function renderVelocity(template: string, context: Json): string {
  const prepared = prepareContext(context);
  return template.replace(VELOCITY, (whole, quiet: string, braced?: string, bare?: string) => {
    const value = lookup(prepared, (braced ?? bare)!);
    if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') return String(value);
    return quiet ? '' : whole;
  });
}

/** `both` (the `elasticbox config` default) applies Velocity first, then Jinja2. */
export function renderTemplate(template: string, context: Json, engine: Engine): string {
  if (engine === 'jinja') return renderJinja(template, context);
  if (engine === 'velocity') return renderVelocity(template, context);
  return renderJinja(renderVelocity(template, context), context);
}

/**
 * Applies `elasticbox set` (variable `name` of the box at absolute `setScope`) to the context of a
 * script running at `ownScope`: its own variables, or a descendant box's (reached through the
 * child-box objects keyed by Box variable name). Parents and siblings are out of reach, as in CAM.
 * Returns true when the context changed.
 */
export function applyVariable(context: Json, ownScope: string, setScope: string, name: string, value: string): boolean {
  let rel: string[];
  if (setScope === ownScope) rel = [];
  else if (ownScope === '') rel = setScope.split('.');
  else if (setScope.startsWith(`${ownScope}.`)) rel = setScope.slice(ownScope.length + 1).split('.');
  else return false;
  let node: Json = context;
  for (const part of rel) {
    const next = node[part];
    if (!isObject(next)) return false;
    node = next;
  }
  node[name] = value;
  if (isObject(node.variables)) node.variables[name] = value;
  return true;
}

/** The context of the descendant box at relative dotted path `box` (for `-box`), if it exists. */
export function childContext(context: Json, box: string): Json | undefined {
  const node = lookup(context, box);
  return isObject(node) ? node : undefined;
}
