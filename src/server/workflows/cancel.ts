import type { Transaction } from 'kysely';
import type { NewEvent } from '../events/log.js';
import type { Db } from '../store/db.js';
import type { Database } from '../store/schema.js';
import { timestamp } from '../../shared/time.js';
import { addActivity, finishActivity } from './store/activities.js';
import { storeResult } from './store/executions.js';
import type { Operation, Workflow } from './types.js';

/** An open workflow that a force terminate cancelled, and the scripts it still had running. */
export interface CancelledWorkflow {
  workflowId: string;
  /** Executions it ended `killed`: their agents are told to kill the scripts. */
  executions: { id: string; machine: string }[];
}

/** How long a new workflow waits, at most, for the one it cancelled to stop running here. */
export const CANCEL_HOLD_MS = 30_000;

/** Operations a force terminate may cancel: anything but another removal of the instance. */
export const cancellable = (op: Operation): boolean => op !== 'force_terminate' && op !== 'delete';

/**
 * Cancels an open workflow inside the caller's transaction (a force terminate overrides an
 * operation that cannot progress, e.g. one waiting for a dead agent). The workflow ends
 * `cancelled` and frees the instance; executions it still waits for end `killed` (their one
 * result: a later result from the agent is only recorded as late); a line of activity says why.
 * Queues its events in `events`. After the commit, stop its run and its scripts
 * (`Orchestration.stopCancelled`).
 */
export async function cancelWorkflow(
  trx: Transaction<Database>,
  wf: Workflow,
  by: Operation,
  events: NewEvent[],
): Promise<CancelledWorkflow> {
  const now = timestamp();
  const reason = `cancelled by ${by.replace('_', ' ')}`;
  await trx
    .updateTable('workflows')
    .set({
      state: 'cancelled',
      open_for: null,
      finished: now,
      updated: now,
      error: `Operation ${reason}.`,
      lease_owner: null,
      lease_expires: 0,
    })
    .where('id', '=', wf.id)
    .execute();
  const open = await trx
    .selectFrom('executions')
    .selectAll()
    .where('workflow_id', '=', wf.id)
    .where('status', 'is', null)
    .execute();
  const ended: CancelledWorkflow['executions'] = [];
  for (const exec of open) {
    const message = `the operation was ${reason}`;
    const stored = await storeResult(trx, exec.id, {
      status: 'killed',
      exitCode: null,
      message,
      truncated: exec.truncated === 1,
      lastSeq: null,
      finished: now,
    });
    if (!stored) continue;
    ended.push({ id: exec.id, machine: exec.machine });
    if (exec.activity_id !== null) await finishActivity(trx, exec.activity_id, null, now);
    events.push({
      workspace: exec.workspace,
      type: 'script.finish',
      instanceId: exec.instance_id,
      operationId: exec.workflow_id,
      data: {
        executionId: exec.id,
        status: 'killed',
        exitCode: null,
        event: exec.event,
        box: exec.box_name,
        scope: exec.scope,
        machine: exec.machine,
        message,
      },
    });
  }
  await addActivity(
    trx,
    {
      instanceId: wf.instanceId,
      workflowId: wf.id,
      workspace: wf.workspace,
      text: `Operation ${wf.operation.replace('_', ' ')} ${reason}.`,
      level: 'info',
    },
    events,
  );
  return { workflowId: wf.id, executions: ended };
}

/** Keeps a new workflow from being claimed until `releaseHold` (or until the hold expires). */
export async function holdWorkflow(trx: Transaction<Database>, id: string): Promise<void> {
  await trx
    .updateTable('workflows')
    .set({ lease_expires: Date.now() + CANCEL_HOLD_MS })
    .where('id', '=', id)
    .where('lease_owner', 'is', null)
    .execute();
}

export async function releaseHold(db: Db, id: string): Promise<void> {
  await db
    .updateTable('workflows')
    .set({ lease_expires: 0 })
    .where('id', '=', id)
    .where('lease_owner', 'is', null)
    .execute();
}
