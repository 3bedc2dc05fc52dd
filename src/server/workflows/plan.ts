import type { BoxNode } from '../boxes/stack.js';
import type { BoxDoc } from '../boxes/store.js';
import { AFTER_CHILDREN, BEFORE_CHILDREN } from '../../shared/instance-change.js';
import type { Operation, Phase, ScriptStep, StepSpec } from './types.js';

/** A node of the tree the scripts run over: a box tree, possibly wrapped by admin boxes. */
export interface PlanNode {
  box: BoxDoc;
  scope: string;
  children: PlanNode[];
}

/** Where the admin boxes of a policy live in scopes: `policy.<Box variable name>`. */
export const ADMIN_SCOPE_PREFIX = 'policy';

export function planNode(node: BoxNode, scopePrefix = ''): PlanNode {
  const scope = scopePrefix && node.scope ? `${scopePrefix}.${node.scope}` : scopePrefix || node.scope;
  return {
    box: node.box,
    scope,
    children: node.children.map((c) => planNode(c.node, scopePrefix)),
  };
}

/**
 * Admin boxes wrap the deployed box as its parents, the first outermost: their `pre_*` events run
 * before the box's and their main events after it (cam-api.md §4.2).
 */
export function wrapWithAdmins(main: PlanNode, admins: PlanNode[]): PlanNode {
  return admins.reduceRight<PlanNode>((inner, admin) => ({ ...admin, children: [...admin.children, inner] }), main);
}

export function scriptUrl(box: BoxDoc, event: string): string | undefined {
  const events = box.events as Record<string, { url?: unknown } | undefined> | undefined;
  const url = events?.[event]?.url;
  return typeof url === 'string' && url ? url : undefined;
}

/** The scripts of one phase over a tree, in run order; boxes without the event are skipped. */
export function phaseScripts(root: PlanNode, phase: Phase, machine: string): ScriptStep[] {
  const out: ScriptStep[] = [];
  const emit = (node: PlanNode, events: string[]) => {
    for (const event of events) {
      const script = scriptUrl(node.box, event);
      if (script) {
        out.push({
          kind: 'script',
          phase,
          event,
          scope: node.scope,
          boxId: node.box.id,
          boxName: node.box.name,
          script,
          machine,
        });
      }
    }
  };
  const visit = (node: PlanNode) => {
    emit(node, BEFORE_CHILDREN[phase]);
    for (const child of node.children) visit(child);
    emit(node, AFTER_CHILDREN[phase]);
  };
  visit(root);
  return out;
}

export interface PlanInput {
  operation: Operation;
  /** The deployed box tree wrapped by the policy's admin boxes (not needed to delete or force terminate). */
  tree?: PlanNode;
  machine: string;
  /** Whether the instance has a machine with an agent to run scripts on. */
  hasMachine: boolean;
}

/** The steps of an operation (cam-api.md §4.1). Bindings are resolved before every configure phase. */
export function buildPlan({ operation, tree, machine, hasMachine }: PlanInput): StepSpec[] {
  const phase = (p: Phase) => (tree ? phaseScripts(tree, p, machine) : []);
  const agent: StepSpec = { kind: 'wait_agent', machine };
  switch (operation) {
    case 'deploy':
      return [
        { kind: 'provision', machine },
        agent,
        ...phase('install'),
        { kind: 'bindings' },
        ...phase('configure'),
        ...phase('start'),
      ];
    case 'redeploy': {
      // The deploy phases again on the machine the instance has (a new one if it never got one).
      const machineStep: StepSpec = hasMachine ? { kind: 'boot', machine } : { kind: 'provision', machine };
      return [machineStep, agent, ...phase('install'), { kind: 'bindings' }, ...phase('configure'), ...phase('start')];
    }
    case 'reinstall':
      return [agent, ...phase('install'), { kind: 'bindings' }, ...phase('configure')];
    case 'reconfigure':
      return [agent, { kind: 'bindings' }, ...phase('configure')];
    case 'poweron':
      return [{ kind: 'boot', machine }, agent, { kind: 'bindings' }, ...phase('configure'), ...phase('start')];
    case 'shutdown':
      return [agent, ...phase('stop'), { kind: 'power_off', machine }];
    case 'terminate': {
      const dispose = hasMachine ? phase('dispose') : [];
      const boot: StepSpec = { kind: 'boot', machine };
      return [...(dispose.length ? [boot, agent, ...dispose] : []), { kind: 'destroy', machine }];
    }
    case 'force_terminate':
      return [{ kind: 'destroy', machine }];
    case 'delete':
      return [{ kind: 'remove' }];
  }
}
