import { roleIn } from '../auth/access.js';
import { MAX_BOX_DEPTH, type BoxNode } from '../boxes/stack.js';
import type { AuthUser } from '../context.js';
import { badRequest } from '../http/errors.js';
import type { VariableOverrideBody } from './schemas.js';
import type { BoxDoc, BoxVariable } from '../boxes/store.js';
import type { Db } from '../store/db.js';
import { getInstance } from './store.js';
import { INSTANCE_ID } from '../../shared/ids.js';

/** An instance-level variable as stored: matched to a box variable on `(name, scope)`. */
export interface InstanceVariable {
  name: string;
  type: string;
  value: string;
  /** Dotted Box-variable path from the main box; absent for the main box itself. */
  scope?: string;
  /** Binding variables only: bind to every instance carrying all of these tags. */
  tags?: string[];
}

const key = (scope: string, name: string) => `${scope}\u0000${name}`;
const joinScope = (a: string, b: string) => (a && b ? `${a}.${b}` : a || b);
const label = (scope: string, name: string) => (scope ? `${scope}.${name}` : name);

/** A box's own variables; a variable with its own `scope` overrides a nested box's variable. */
const ownVariables = (box: BoxDoc): BoxVariable[] => (box.variables ?? []).filter((v) => !v.scope);

function walk(node: BoxNode, visit: (node: BoxNode, ancestors: BoxNode[]) => void, ancestors: BoxNode[] = []): void {
  visit(node, ancestors);
  for (const c of node.children) walk(c.node, visit, [...ancestors, node]);
}

/** Every variable an override may target, keyed on `(scope, name)`. */
function targets(tree: BoxNode): Map<string, BoxVariable> {
  const out = new Map<string, BoxVariable>();
  walk(tree, (node) => {
    for (const v of ownVariables(node.box)) out.set(key(node.scope, v.name), v);
  });
  return out;
}

/** Checks one override's value against its box variable; returns the normalised value. */
async function checkValue(
  db: Db,
  user: AuthUser,
  where: string,
  v: BoxVariable,
  value: string | undefined,
  tags: string[] | undefined,
): Promise<string> {
  if (v.type === 'Binding') {
    if (!value) {
      if (tags?.length) return '';
      throw badRequest(`${where}: a Binding needs an instance id as value, or tags`);
    }
    if (!INSTANCE_ID.test(value)) throw badRequest(`${where}: '${value}' is not an instance id (i-xxxxxx)`);
    const target = await getInstance(db, value);
    if (!target || !(await roleIn(db, user.id, target.owner))) {
      throw badRequest(`${where}: instance ${value} not found`);
    }
    return value;
  }
  if (value === undefined) throw badRequest(`${where}: value is missing`);
  switch (v.type) {
    case 'Number':
      if (!/^[-+]?\d{1,18}$/.test(value)) throw badRequest(`${where}: '${value}' is not an integer`);
      break;
    case 'Port':
      if (!/^\d{1,5}$/.test(value) || Number(value) > 65535) {
        throw badRequest(`${where}: '${value}' is not a port (0-65535)`);
      }
      break;
    case 'Options': {
      const options = String(v.options ?? '')
        .split(',')
        .map((o) => o.trim())
        .filter(Boolean);
      if (options.length && !options.includes(value.trim())) {
        throw badRequest(`${where}: '${value}' is not one of ${options.join(', ')}`);
      }
      return value.trim();
    }
    case 'Box':
      if (value !== (v.value ?? '')) throw badRequest(`${where}: a Box variable cannot be changed on an instance`);
      break;
  }
  return value;
}

/**
 * Validates variable overrides against a box tree: each must name a variable `(name, scope)` of
 * the tree, agree with its type and carry a valid value. `field` names the request field in errors.
 */
export async function checkOverrides(
  db: Db,
  user: AuthUser,
  tree: BoxNode,
  overrides: VariableOverrideBody[],
  field: string,
): Promise<InstanceVariable[]> {
  const known = targets(tree);
  const seen = new Set<string>();
  const out: InstanceVariable[] = [];
  for (const [i, o] of overrides.entries()) {
    const scope = (o.scope ?? '').trim();
    const where = `${field}[${i}] ${label(scope, o.name)}`;
    const k = key(scope, o.name);
    if (seen.has(k)) throw badRequest(`${where}: variable given twice`);
    seen.add(k);
    const v = known.get(k);
    if (!v) {
      throw badRequest(
        `${where}: unknown variable '${o.name}'${scope ? ` in scope '${scope}'` : ''} of box ${tree.box.name}`,
      );
    }
    if (o.type !== undefined && o.type !== v.type)
      throw badRequest(`${where}: the variable is a ${v.type}, not ${o.type}`);
    const raw = o.value === null || o.value === undefined ? undefined : String(o.value);
    const value = await checkValue(db, user, where, v, raw, o.tags);
    out.push({
      name: o.name,
      type: v.type,
      value,
      ...(scope ? { scope } : {}),
      ...(v.type === 'Binding' && o.tags ? { tags: [...o.tags] } : {}),
    });
  }
  return out;
}

/**
 * Required variables of the tree that end up without a value. Precedence: the instance's
 * override, then the outermost parent's scoped variable, then the box default (cam-api.md §3.3).
 * A Binding's default names a box type, so only an instance id or tags satisfy it.
 */
export function missingRequired(tree: BoxNode, overrides: InstanceVariable[]): string[] {
  const given = new Map(overrides.map((o) => [key(o.scope ?? '', o.name), o]));
  const missing: string[] = [];
  walk(tree, (node, ancestors) => {
    for (const v of ownVariables(node.box)) {
      if (v.required !== true || v.type === 'Box') continue;
      const own = given.get(key(node.scope, v.name));
      let chosen: { value?: unknown; tags?: unknown } | undefined = own;
      for (const a of ancestors) {
        if (chosen) break;
        chosen = (a.box.variables ?? []).find(
          (p) => p.scope && p.name === v.name && joinScope(a.scope, p.scope) === node.scope,
        );
      }
      chosen ??= v;
      const hasTags = Array.isArray(chosen.tags) && chosen.tags.length > 0;
      const hasValue = chosen.value !== undefined && chosen.value !== null && String(chosen.value) !== '';
      const ok = v.type === 'Binding' ? hasTags || (own !== undefined && hasValue) : hasValue;
      if (!ok) missing.push(label(node.scope, v.name));
    }
  });
  return missing;
}

/** Applies overrides to a box's own copy: root variables get the value, nested ones a scoped entry. */
export function applyOverrides(box: BoxDoc, overrides: InstanceVariable[]): BoxDoc {
  const variables: BoxVariable[] = (box.variables ?? []).map((v) => ({ ...v }));
  for (const o of overrides) {
    const i = variables.findIndex((v) => v.name === o.name && (v.scope ?? '') === (o.scope ?? ''));
    const entry: BoxVariable = { ...(i >= 0 ? variables[i] : {}), ...o };
    if (i >= 0) variables[i] = entry;
    else variables.push(entry);
  }
  return { ...box, variables };
}

/** Rebuilds the box tree from an instance's stored `boxes` (main box first), without the store. */
export function treeFromStack(boxes: BoxDoc[]): BoxNode | undefined {
  const byId = new Map(boxes.map((b) => [b.id, b]));
  const visit = (box: BoxDoc, scope: string, path: string[]): BoxNode => {
    const children: BoxNode['children'] = [];
    for (const v of box.variables ?? []) {
      const child = v.type === 'Box' && v.value ? byId.get(v.value) : undefined;
      if (!child || path.includes(child.id) || path.length > MAX_BOX_DEPTH) continue;
      children.push({ variable: v.name, node: visit(child, joinScope(scope, v.name), [...path, child.id]) });
    }
    return { box, scope, children };
  };
  const root = boxes[0];
  return root ? visit(root, '', [root.id]) : undefined;
}
