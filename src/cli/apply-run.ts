import type { EbClient } from '../client/client.js';
import type { Box, Instance, Variable } from '../client/types.js';
import type { ChangeBox } from '../shared/instance-change.js';
import { COMPLETION_EVENTS, waitForInstances } from '../client/wait.js';
import { planCreate, planExisting, type DesiredInstance, type PlannedInstance } from './apply-plan.js';
import { instancesByName } from './instance-refs.js';
import {
  awaitOutcome,
  errorResult,
  notStarted,
  runBudgeted,
  type TargetResult,
  type WaitContext,
} from './operations.js';

/** A plan step with what it acts on. */
export interface ApplyStep {
  plan: PlannedInstance;
  want: DesiredInstance;
  have?: Instance;
}

export interface ApplyResult extends TargetResult {
  action: PlannedInstance['action'];
}

export interface PlanOptions {
  workspace: string;
  /** Wait for instances with an operation in progress before planning them (not under --dry-run). */
  waitBusy: boolean;
  deadline: number;
  note: (message: string) => void;
  onChange: (doc: Instance) => void;
}

/** A cache of blob MD5s: `md5:` URLs (virtual stacks) carry theirs, others are asked with HEAD. */
export function md5Lookup(client: EbClient): (url: string) => Promise<string | undefined> {
  const cache = new Map<string, Promise<string | undefined>>();
  return (url) => {
    if (url.startsWith('md5:')) return Promise.resolve(url.slice(4));
    if (!url.includes('/services/blobs/download/')) return Promise.resolve(undefined);
    let p = cache.get(url);
    if (!p) cache.set(url, (p = client.blobs.md5(url).catch(() => undefined)));
    return p;
  };
}

/** The stacks of a policy's admin boxes (its Box variables), outermost first, cached by box id. */
function adminStacks(client: EbClient): (policy?: Box) => Promise<ChangeBox[][]> {
  const cache = new Map<string, Promise<ChangeBox[]>>();
  return (policy) =>
    Promise.all(
      (policy?.variables ?? [])
        .filter((v) => v.type === 'Box' && v.value && !v.scope)
        .map((v) => {
          let p = cache.get(v.value!);
          if (!p) cache.set(v.value!, (p = client.boxes.stack(v.value!) as Promise<ChangeBox[]>));
          return p;
        }),
    );
}

/**
 * The policy a new instance would get: the server's dry run of the deploy request tells it (and
 * checks the request). A box folder planned without importing it (`--dry-run`) has no server id:
 * then only a policy given by id is known.
 */
async function policyOf(client: EbClient, want: DesiredInstance): Promise<Box | undefined> {
  if (!want.box.id.startsWith('local:')) {
    const doc = (await client.instances.dryrun(want.request)) as { policy_box?: Box };
    return doc.policy_box;
  }
  const id = want.request.policy_box?.id;
  return id ? client.boxes.retrieve(id) : undefined;
}

/**
 * Plans every desired instance against the workspace's instances, matched by name. An instance
 * busy with an operation is waited for first (an interrupted earlier apply is not duplicated).
 */
export async function planApply(client: EbClient, wanted: DesiredInstance[], opts: PlanOptions): Promise<ApplyStep[]> {
  const existing = await instancesByName(client, opts.workspace);
  const md5 = md5Lookup(client);
  const admins = adminStacks(client);
  const steps: ApplyStep[] = [];
  for (const want of wanted) {
    let have = existing.get(want.name);
    let busy: string | undefined;
    if (have?.state === 'processing') {
      busy = `${have.operation?.event ?? 'an operation'} of ${have.id}`;
      if (opts.waitBusy) {
        opts.note(`${want.name} (${have.id}): waiting for the ${have.operation?.event} in progress…`);
        const [done] = await waitForInstances(client.instances, [{ id: have.id, goneIsDone: true }], {
          timeoutMs: Math.max(0, opts.deadline - Date.now()),
          onChange: opts.onChange,
        });
        have = done?.outcome === 'gone' ? undefined : done?.instance;
      }
    }
    const plan = have
      ? await planExisting(want, have, md5, await admins(have.policy_box))
      : planCreate(want, await admins(await policyOf(client, want)));
    if (busy) plan.busy = busy;
    steps.push({ plan, want, have });
  }
  return steps;
}

/** Carries out one step: deploy, or tags then one pull (box version and variables together), and waits. */
async function applyStep(client: EbClient, step: ApplyStep, ctx: WaitContext, wait: boolean): Promise<ApplyResult> {
  const { plan, want, have } = step;
  const base: ApplyResult = {
    id: have?.id ?? plan.name,
    name: plan.name,
    operation: plan.operation,
    outcome: 'done',
    exitCode: 0,
    action: plan.action,
  };
  if (plan.action === 'unchanged') return { ...base, state: 'running', message: 'unchanged' };
  if (plan.action === 'blocked')
    return { ...base, outcome: 'error', message: plan.problem, exitCode: 1, code: 'blocked' };
  try {
    if (plan.action === 'create') {
      const instance = await client.instances.deploy(want.request);
      const started = { ...base, id: instance.id, state: 'processing', outcome: 'accepted' as const };
      if (!wait) return started;
      const target = {
        id: instance.id,
        events: COMPLETION_EVENTS.deploy,
        operationCreated: instance.operation?.created,
      };
      return { ...started, ...(await awaitOutcome(ctx, target, started)) };
    }
    const doc = have!;
    if (plan.tags) await client.instances.update(doc.id, { tags: want.request.instance_tags ?? [] });
    if (!plan.pull && !plan.variables && plan.reasons.length === 0) return { ...base, state: 'running' };
    const variables = (want.request.box.variables ?? []) as Variable[];
    const answer = await client.instances.pull(doc.id, { boxId: want.box.id, variables });
    const started: ApplyResult = { ...base, operation: answer.method, state: 'processing', outcome: 'accepted' };
    if (answer.method !== plan.operation && !(answer.method === 'pull' && plan.operation === 'none'))
      started.message = `the server ran ${answer.method}, not the planned ${plan.operation}: the box or instance changed meanwhile`;
    const events = COMPLETION_EVENTS[answer.method];
    if (!events) return { ...started, outcome: 'done', state: 'running' };
    if (!wait) return started;
    return { ...started, ...(await awaitOutcome(ctx, { id: doc.id, events, since: doc.updated }, started)) };
  } catch (err) {
    return { ...errorResult(base, err), action: plan.action };
  }
}

export interface RunOptions {
  concurrency: number;
  maxFailures: number;
  wait: boolean;
  deadline: number;
  onChange: (doc: Instance) => void;
  /** Called with each result as it is known. */
  onResult: (r: ApplyResult) => void;
}

/** Runs the plan, at most `concurrency` steps at once, stopping new ones once the failure budget is spent. */
export async function runApply(client: EbClient, steps: ApplyStep[], opts: RunOptions): Promise<ApplyResult[]> {
  const ctx: WaitContext = { client, deadline: opts.deadline, onChange: opts.onChange };
  const results = await runBudgeted(
    steps,
    opts.concurrency,
    opts.maxFailures,
    async (step) => {
      const r = await applyStep(client, step, ctx, opts.wait);
      opts.onResult(r);
      return r;
    },
    (step) => {
      const r = {
        ...notStarted({ id: step.have?.id ?? step.plan.name, name: step.plan.name, operation: step.plan.operation }),
        action: step.plan.action,
      };
      opts.onResult(r);
      return r;
    },
  );
  return results as ApplyResult[];
}
