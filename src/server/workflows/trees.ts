import { boxTree, type BoxNode } from '../boxes/stack.js';
import { badRequest } from '../http/errors.js';
import type { BoxDoc } from '../boxes/store.js';
import type { Db } from '../store/db.js';
import type { InstanceDoc } from '../instances/store.js';
import { treeFromStack } from '../instances/variable-overrides.js';
import { ADMIN_SCOPE_PREFIX, planNode, wrapWithAdmins, type PlanNode } from './plan.js';
import { policyTree } from './variables.js';

/** The box trees an instance runs scripts from: its own and its policy's admin boxes. */
export interface InstanceTrees {
  main: BoxNode;
  /** The policy box as root, its admin boxes as children (scopes = their Box variable names). */
  policy: BoxNode;
  admins: { variable: string; tree: BoxNode }[];
}

export async function instanceTrees(db: Db, doc: InstanceDoc): Promise<InstanceTrees> {
  const main = treeFromStack((doc.boxes as BoxDoc[] | undefined) ?? []);
  if (!main) throw badRequest(`instance ${doc.id} has no boxes`);
  const policy =
    (doc.policy_box as BoxDoc | undefined) ?? ({ id: '', name: 'policy', variables: [] } as unknown as BoxDoc);
  const admins: InstanceTrees['admins'] = [];
  for (const v of policy.variables ?? []) {
    if (v.type !== 'Box' || !v.value || v.scope) continue;
    admins.push({ variable: v.name, tree: await boxTree(db, v.value) });
  }
  return { main, policy: policyTree(policy, admins), admins };
}

/** The tree scripts run over: the main box wrapped by the admin boxes (scopes `policy.<var>`). */
export function scriptTree(trees: InstanceTrees): PlanNode {
  const admins = trees.policy.children.map((c) => planNode(c.node, ADMIN_SCOPE_PREFIX));
  return wrapWithAdmins(planNode(trees.main), admins);
}

/** Splits a plan scope into the tree it belongs to and the scope inside that tree. */
export function locateScope(trees: InstanceTrees, scope: string): { tree: BoxNode; inner: string; admin: boolean } {
  const prefix = `${ADMIN_SCOPE_PREFIX}.`;
  if (scope.startsWith(prefix)) return { tree: trees.policy, inner: scope.slice(prefix.length), admin: true };
  return { tree: trees.main, inner: scope, admin: false };
}
