import type { BoxNode } from '../boxes/stack.js';
import type { BoxDoc, BoxVariable } from '../boxes/store.js';
import type { InstanceVariable } from '../instances/variable-overrides.js';

/** A variable of one box of the tree after overrides (cam-api.md §3.3 precedence). */
export interface EffectiveVariable {
  name: string;
  type: string;
  value: string;
  visibility: string;
  /** Binding overrides: bind to every instance carrying all of these tags. */
  tags?: string[];
  /** Binding variables: the box type a target must contain (box id or `AnyBox`). */
  boxType?: string;
}

const joinScope = (a: string, b: string) => (a && b ? `${a}.${b}` : a || b);

/** The node of a tree at a dotted scope ('' = the root). */
export function nodeAt(tree: BoxNode, scope: string): BoxNode | undefined {
  if (!scope) return tree;
  let node: BoxNode | undefined = tree;
  for (const part of scope.split('.')) {
    node = node?.children.find((c) => c.variable === part)?.node;
    if (!node) return undefined;
  }
  return node;
}

/**
 * Effective variables of every box of a tree, keyed by scope. Precedence: the instance's override,
 * then the outermost ancestor's scoped variable, then the box's own default.
 */
export function effectiveVariables(
  tree: BoxNode,
  overrides: InstanceVariable[] = [],
): Map<string, EffectiveVariable[]> {
  const out = new Map<string, EffectiveVariable[]>();
  const visit = (node: BoxNode, ancestors: BoxNode[]) => {
    const vars: EffectiveVariable[] = [];
    for (const v of (node.box.variables ?? []).filter((x) => !x.scope)) {
      const own = overrides.find((o) => o.name === v.name && (o.scope ?? '') === node.scope);
      let scoped: BoxVariable | undefined;
      for (const a of ancestors) {
        scoped = (a.box.variables ?? []).find(
          (p) => p.scope && p.name === v.name && joinScope(a.scope, p.scope) === node.scope,
        );
        if (scoped) break;
      }
      const chosen = own ?? scoped ?? v;
      const tags =
        (own?.tags ?? (scoped?.tags as string[] | undefined) ?? (v.tags as string[] | undefined)) || undefined;
      vars.push({
        name: v.name,
        type: v.type,
        value: v.type === 'Box' ? String(v.value ?? '') : String(chosen.value ?? ''),
        visibility: typeof v.visibility === 'string' ? v.visibility : 'public',
        ...(v.type === 'Binding' ? { boxType: String(v.value ?? 'AnyBox'), ...(tags?.length ? { tags } : {}) } : {}),
      });
    }
    out.set(node.scope, vars);
    for (const c of node.children) visit(c.node, [...ancestors, node]);
  };
  visit(tree, []);
  return out;
}

/** The policy box as the root of its admin boxes: the policy's scoped variables override theirs. */
export function policyTree(policy: BoxDoc, admins: { variable: string; tree: BoxNode }[]): BoxNode {
  const rescope = (node: BoxNode, prefix: string): BoxNode => ({
    box: node.box,
    scope: joinScope(prefix, node.scope),
    children: node.children.map((c) => ({ variable: c.variable, node: rescope(c.node, prefix) })),
  });
  return {
    box: policy,
    scope: '',
    children: admins.map((a) => ({ variable: a.variable, node: rescope(a.tree, a.variable) })),
  };
}

/** Password values of a set of effective variables (masked by the agent and the server). */
export function secretsOf(vars: Map<string, EffectiveVariable[]>): string[] {
  const out = new Set<string>();
  for (const list of vars.values()) for (const v of list) if (v.type === 'Password' && v.value) out.add(v.value);
  return [...out];
}
