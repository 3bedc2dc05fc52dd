import type { Box, DeployRequest, Instance, Variable } from '../client/types.js';
import { displayState } from '../client/wait.js';
import {
  instanceChange,
  scriptLabels,
  treeOfStack,
  wrapWithAdmins,
  type ChangeBox,
  type ChangeReason,
} from '../shared/instance-change.js';

/** One instance as `apply` wants it. */
export interface DesiredInstance {
  name: string;
  /** The box (version) to run; a `local:` id when planning a folder that was not imported (--dry-run). */
  box: Box;
  /** The box and its nested boxes, main box first. */
  stack: ChangeBox[];
  request: DeployRequest;
}

export type PlanAction = 'create' | 'update' | 'unchanged' | 'blocked';

/** What `apply` does to one instance, and why: printed before acting, and the `--dry-run` result. */
export interface PlannedInstance {
  name: string;
  action: PlanAction;
  /** The existing instance. */
  id?: string;
  /** The box (version) id the instance ends on. */
  box: string;
  boxName: string;
  /** `deploy` for a create; the operation an update starts (`reinstall`, `reconfigure`), or `none`. */
  operation: 'deploy' | 'reinstall' | 'reconfigure' | 'none';
  /** Event scripts the operation runs, in order, as `Box:event`. */
  scripts: string[];
  /** Why: each script, variable or file that changed and what it requires. */
  reasons: ChangeReason[];
  /** Tags added and removed. */
  tags?: { add: string[]; remove: string[] };
  /** The instance is moved to another version of its box. */
  pull?: boolean;
  /** The variable overrides change (even when no value the scripts see does). */
  variables?: boolean;
  /** An operation was in progress: it is waited for before planning (or, with --dry-run, would be). */
  busy?: string;
  /** Why a blocked instance cannot be applied. */
  problem?: string;
}

const key = (v: Pick<Variable, 'name' | 'scope'>) => `${v.scope ?? ''}.${v.name}`;
const valueOf = (v: Pick<Variable, 'value' | 'tags'>) =>
  v.tags?.length ? `tags:${[...v.tags].sort().join(',')}` : String(v.value ?? '');

/** Whether two lists of overrides set the same values (order and types aside). */
export function sameOverrides(a: Variable[], b: Variable[]): boolean {
  if (a.length !== b.length) return false;
  const m = new Map(a.map((v) => [key(v), valueOf(v)]));
  return b.every((v) => m.get(key(v)) === valueOf(v));
}

/**
 * The plan for a name no instance holds: a deploy runs install, configure and start over the box
 * tree wrapped by the policy's admin boxes (`admins`: their stacks, outermost first).
 */
export function planCreate(want: DesiredInstance, admins: ChangeBox[][] = []): PlannedInstance {
  const tree = treeOfStack(want.stack);
  const wrappers = admins.map((a, i) => treeOfStack(a, `policy.${i}`)).filter((n) => n !== undefined);
  return {
    name: want.name,
    action: 'create',
    box: want.box.id,
    boxName: want.box.name,
    operation: 'deploy',
    scripts: scriptLabels(tree && wrapWithAdmins(tree, wrappers), 'deploy'),
    reasons: [],
  };
}

/**
 * The plan for an existing instance: unchanged when its box, overrides and tags are the ones asked
 * for; otherwise an update that runs what the change requires (shared/instance-change.ts), the rule
 * the server applies on `PUT …/pull`. `md5` tells a blob's content hash (`md5:` URLs carry it).
 */
export async function planExisting(
  want: DesiredInstance,
  have: Instance,
  md5: (url: string) => Promise<string | undefined>,
  admins: ChangeBox[][] = [],
): Promise<PlannedInstance> {
  const base = { name: want.name, id: have.id, box: want.box.id, boxName: want.box.name };
  const state = displayState(have);
  if (state === 'terminated' || have.state === 'unavailable') {
    const problem =
      state === 'terminated'
        ? `instance ${have.id} is terminated: delete it (\`ebcli instances delete ${have.id}\`) to deploy ${want.name} again`
        : `instance ${have.id} is unavailable after a failed ${have.operation?.event}: fix it (reinstall, or terminate and delete) first`;
    return { ...base, action: 'blocked', operation: 'none', scripts: [], reasons: [], problem };
  }
  if (state === 'stopped') {
    const problem = `instance ${have.id} is stopped: power it on (\`ebcli instances poweron ${have.id}\`) first`;
    return { ...base, action: 'blocked', operation: 'none', scripts: [], reasons: [], problem };
  }
  const wantVars = (want.request.box.variables ?? []) as Variable[];
  const haveVars = have.variables ?? [];
  const effect = await instanceChange({
    before: { stack: (have.boxes ?? []) as ChangeBox[], variables: haveVars },
    after: { stack: want.stack, variables: wantVars },
    admins,
    md5,
  });
  const wantTags = want.request.instance_tags ?? [];
  const haveTags = have.tags ?? [];
  const tags = {
    add: wantTags.filter((t) => !haveTags.includes(t)),
    remove: haveTags.filter((t) => !wantTags.includes(t)),
  };
  // A box id never seen by the server (--dry-run of a folder) is compared by content only.
  const movedVersion = have.box !== want.box.id && !want.box.id.startsWith('local:');
  const variables = !sameOverrides(haveVars, wantVars);
  const changed = movedVersion || variables || tags.add.length > 0 || tags.remove.length > 0;
  const plan: PlannedInstance = {
    ...base,
    action: changed || effect.reasons.length ? 'update' : 'unchanged',
    operation: effect.operation,
    scripts: effect.scripts,
    reasons: effect.reasons,
  };
  if (tags.add.length || tags.remove.length) plan.tags = tags;
  if (movedVersion) plan.pull = true;
  if (variables) plan.variables = true;
  return plan;
}
