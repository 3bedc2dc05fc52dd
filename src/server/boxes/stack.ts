import { badRequest, notFound } from '../http/errors.js';
import { getBox, type BoxDoc } from './store.js';
import type { Db } from '../store/db.js';

/** Deepest nesting of Box variables a tree may have. */
export const MAX_BOX_DEPTH = 16;

/** A box with its nested boxes, keyed by the Box variable that holds each one. */
export interface BoxNode {
  box: BoxDoc;
  /** Dotted path of Box-variable names from the root; '' for the root. */
  scope: string;
  children: { variable: string; node: BoxNode }[];
}

/**
 * Resolves a box and every box nested through Box variables, in declaration order.
 * Throws 404 for a missing root, 400 for a missing child, a cycle or too deep a tree.
 */
export async function boxTree(db: Db, rootId: string): Promise<BoxNode> {
  const cache = new Map<string, BoxDoc>();
  const load = async (id: string): Promise<BoxDoc | undefined> => {
    if (!cache.has(id)) {
      const box = await getBox(db, id);
      if (box) cache.set(id, box);
    }
    return cache.get(id);
  };
  const visit = async (box: BoxDoc, scope: string, path: string[]): Promise<BoxNode> => {
    if (path.length > MAX_BOX_DEPTH) throw badRequest(`Box nesting deeper than ${MAX_BOX_DEPTH} levels at ${scope}`);
    const children: BoxNode['children'] = [];
    for (const v of box.variables ?? []) {
      if (v.type !== 'Box' || !v.value) continue;
      const child = await load(v.value);
      if (!child)
        throw badRequest(`Box variable ${v.name} of box ${box.name} names a box that does not exist: ${v.value}`);
      if (path.includes(child.id)) throw badRequest(`Box ${child.name} contains itself through variable ${v.name}`);
      const childScope = scope ? `${scope}.${v.name}` : v.name;
      children.push({ variable: v.name, node: await visit(child, childScope, [...path, child.id]) });
    }
    return { box, scope, children };
  };
  const root = await load(rootId);
  if (!root) throw notFound('Box', rootId);
  return visit(root, '', [root.id]);
}

/** The box itself first, then every nested box once, depth first (`GET /boxes/{id}/stack`). */
export function flattenTree(node: BoxNode): BoxDoc[] {
  const seen = new Set<string>();
  const out: BoxDoc[] = [];
  const walk = (n: BoxNode) => {
    if (!seen.has(n.box.id)) {
      seen.add(n.box.id);
      out.push(n.box);
    }
    for (const c of n.children) walk(c.node);
  };
  walk(node);
  return out;
}
