import type { Transaction } from 'kysely';
import { appendEvents, type NewEvent } from '../events/log.js';
import { conflict } from '../http/errors.js';
import type { Database } from '../store/schema.js';
import { updateInstance, type InstanceDoc } from '../instances/store.js';
import { newUuid } from '../../shared/ids.js';
import { timestamp } from '../../shared/time.js';
import { machineName, stateEvent } from './instance-doc.js';
import { cancellable, cancelWorkflow, holdWorkflow, type CancelledWorkflow } from './cancel.js';
import { buildPlan } from './plan.js';
import { addActivity } from './store/activities.js';
import { machinesOf } from './store/machines.js';
import { insertWorkflow, isUniqueViolation, openWorkflowOf } from './store/workflows.js';
import { STARTED } from './texts.js';
import { assertTransition } from './transitions.js';
import { instanceTrees, scriptTree } from './trees.js';
import { START_EVENT, type Operation } from './types.js';

export interface BeginOptions {
  /** The user who asked (`username` of the operation record and its activity). */
  username: string;
  /** Id of the request, kept on the operation record and its activity entries. */
  requestId?: string;
  /**
   * Collects the operation's events here instead of appending them at once: a caller that appends
   * its own events in the same transaction (the engine ending another workflow) keeps their order.
   */
  events?: NewEvent[];
}

export interface Begun {
  workflowId: string;
  doc: InstanceDoc;
  /** The workspace whose event stream got the operation's events: wake its tails after the commit. */
  workspace: string;
  /**
   * The operation that force_terminate cancelled, if the instance was busy. The new workflow is held
   * until the caller has stopped it (`Orchestration.stopCancelled`, which releases the hold).
   */
  cancelled?: CancelledWorkflow;
}

/**
 * Starts an operation on an instance inside the caller's transaction: checks that the instance is
 * not busy and that the transition is possible (409 otherwise; a force terminate cancels the open
 * operation instead), fixes the workflow's plan, and sets `state: processing`, the new `operation` and a new `updated` synchronously (cam-api.md §4.4).
 * For a deploy, `doc` is the instance document just inserted, already `processing`.
 * After the commit, call `ctx.bus.committed(workspace)` and `announceWorkflow(ctx.bus)`.
 */
export async function beginOperation(
  trx: Transaction<Database>,
  doc: InstanceDoc,
  operation: Operation,
  opts: BeginOptions,
): Promise<Begun> {
  const open = await openWorkflowOf(trx, doc.id);
  const events: NewEvent[] = opts.events ?? [];
  // A force terminate is always possible (cam-api.md §4.1): it cancels the open operation, which
  // may never end by itself (one waiting for a dead agent, say).
  const forcing = operation === 'force_terminate' && (open ? cancellable(open.operation) : doc.state === 'processing');
  let cancelled: CancelledWorkflow | undefined;
  if (forcing) {
    if (open) cancelled = await cancelWorkflow(trx, open, operation, events);
  } else if (operation !== 'deploy') assertTransition(doc, operation, open?.operation);
  else if (open) throw conflict(`Operation Conflict: instance ${doc.id} is busy with ${open.operation}`);

  const now = timestamp();
  const machine = machineName(doc);
  const machines = await machinesOf(trx, doc.id);
  // A machine still `provisioning` never came up (its provision step failed): no agent ran a
  // script there, so terminate has nothing to dispose and redeploy provisions it again.
  const hasMachine = machines.some((m) => m.state !== 'terminated' && m.state !== 'provisioning');
  const scriptless = operation === 'delete' || operation === 'force_terminate';
  const tree = scriptless ? undefined : scriptTree(await instanceTrees(trx, doc));
  const plan = buildPlan({ operation, tree, machine, hasMachine });

  const next: InstanceDoc =
    operation === 'deploy'
      ? doc
      : {
          ...doc,
          state: 'processing',
          operation: { event: START_EVENT[operation], workspace: doc.owner, created: now },
          updated: now,
        };
  if (operation !== 'deploy') await updateInstance(trx, next);

  const workflowId = newUuid();
  const requestId = opts.requestId ?? newUuid();
  try {
    await insertWorkflow(trx, {
      id: workflowId,
      instanceId: doc.id,
      workspace: doc.owner,
      operation,
      plan,
      username: opts.username,
      requestId,
      created: now,
    });
  } catch (err) {
    if (isUniqueViolation(err)) throw conflict(`Operation Conflict: instance ${doc.id} is busy`);
    throw err;
  }
  // The new workflow waits until the cancelled one has stopped running (`stopCancelled`).
  if (cancelled) await holdWorkflow(trx, workflowId);
  events.push(stateEvent(next, workflowId));
  await addActivity(
    trx,
    {
      instanceId: doc.id,
      workflowId,
      workspace: doc.owner,
      text: STARTED[operation],
      level: 'start',
      username: opts.username,
      requestId,
    },
    events,
  );
  if (!opts.events) await appendEvents(trx, events);
  return { workflowId, doc: next, workspace: doc.owner, ...(cancelled ? { cancelled } : {}) };
}
