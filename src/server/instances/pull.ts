import type { Transaction } from 'kysely';
import { boxTree, flattenTree, type BoxNode } from '../boxes/stack.js';
import { looksLikeBlobUrl, parseBlobUrl } from '../boxes/blob-urls.js';
import type { AuthUser } from '../context.js';
import { deployableBox } from './deploy-request.js';
import { badRequest } from '../http/errors.js';
import type { VariableOverrideBody } from './schemas.js';
import { getBlobMeta } from '../boxes/blob-store.js';
import { getBox, listVersions, type BoxDoc } from '../boxes/store.js';
import type { Database } from '../store/schema.js';
import { setInstanceBox, updateInstance, type InstanceDoc } from './store.js';
import { checkOverrides, missingRequired, type InstanceVariable } from './variable-overrides.js';
import { beginOperation } from '../workflows/begin.js';
import { assertTransition } from '../workflows/transitions.js';
import { instanceTrees } from '../workflows/trees.js';
import { openWorkflowOf } from '../workflows/store/workflows.js';
import { instanceChange, type ChangeEffect } from '../../shared/instance-change.js';
import { timestamp } from '../../shared/time.js';

export interface PullBody {
  /** The box version (or the draft) to move to; the latest version of the instance's box when absent. */
  box_id?: string;
  /** When given, the instance's variable overrides become these in the same step. */
  variables?: VariableOverrideBody[];
}

export interface PullAnswer {
  id: string;
  /** The operation started (`reinstall`, `reconfigure`), or `pull` when the change runs no script. */
  method: string;
  box: string;
  changes: ChangeEffect['reasons'];
  scripts: string[];
}

/** The draft id of a box family: a version leads to its draft. */
const draftOf = (box: BoxDoc): string => {
  const version = box.version as { box?: unknown } | undefined;
  return typeof version?.box === 'string' ? version.box : box.id;
};

/** Keeps the overrides whose `(scope, name)` the new tree still has (a new version may drop variables). */
function stillKnown(tree: BoxNode, overrides: InstanceVariable[]): InstanceVariable[] {
  const known = new Set<string>();
  const walk = (n: BoxNode) => {
    for (const v of n.box.variables ?? []) if (!v.scope) known.add(`${n.scope}\u0000${v.name}`);
    for (const c of n.children) walk(c.node);
  };
  walk(tree);
  return overrides.filter((o) => known.has(`${o.scope ?? ''}\u0000${o.name}`));
}

/**
 * `PUT /services/instances/{id}/pull` inside the caller's transaction: moves a running instance to
 * another version of its box (and, when given, to new variables) and starts what the change
 * requires by the rule of shared/instance-change.ts: reinstall when an install-phase script changed,
 * reconfigure when a configure script or a variable's value changed, nothing otherwise.
 */
export async function pullInstance(
  trx: Transaction<Database>,
  user: AuthUser,
  doc: InstanceDoc,
  body: PullBody,
  requestId: string,
): Promise<{ answer: PullAnswer; workspace?: string }> {
  const open = await openWorkflowOf(trx, doc.id);
  assertTransition(doc, 'reconfigure', open?.operation);
  const current = await getBox(trx, doc.box as string);
  const family = current ? draftOf(current) : (doc.box as string);
  let targetId = body.box_id;
  if (!targetId) targetId = (await listVersions(trx, family))[0]?.id ?? family;
  const target = await deployableBox(trx, user, targetId);
  if (draftOf(target) !== family)
    throw badRequest(`box_id: box ${target.id} is not a version of the instance's box ${family}`);

  const tree = await boxTree(trx, target.id);
  const stack = flattenTree(tree);
  const variables = body.variables
    ? await checkOverrides(trx, user, tree, body.variables, 'variables')
    : stillKnown(tree, (doc.variables as InstanceVariable[] | undefined) ?? []);
  const missing = missingRequired(tree, variables);
  if (missing.length) throw badRequest(`Required variables have no value: ${missing.join(', ')}`);

  const trees = await instanceTrees(trx, doc);
  const md5 = async (url: string) => {
    const ref = looksLikeBlobUrl(url) ? parseBlobUrl(url) : undefined;
    return ref ? (await getBlobMeta(trx, ref.id))?.md5 : undefined;
  };
  const effect = await instanceChange({
    before: {
      stack: (doc.boxes as BoxDoc[] | undefined) ?? [],
      variables: (doc.variables as InstanceVariable[]) ?? [],
    },
    after: { stack, variables },
    admins: trees.admins.map((a) => flattenTree(a.tree)),
    md5,
  });

  const next: InstanceDoc = { ...doc, box: target.id, boxes: stack, variables, updated: timestamp() };
  await updateInstance(trx, next);
  await setInstanceBox(trx, doc.id, target.id);
  const answer: PullAnswer = {
    id: doc.id,
    method: effect.operation === 'none' ? 'pull' : effect.operation,
    box: target.id,
    changes: effect.reasons,
    scripts: effect.scripts,
  };
  if (effect.operation === 'none') return { answer };
  const begun = await beginOperation(trx, next, effect.operation, { username: user.id, requestId });
  return { answer, workspace: begun.workspace };
}
