import type { Transaction } from 'kysely';
import type { NewEvent } from '../events/log.js';
import type { Db } from '../store/db.js';
import type { Database } from '../store/schema.js';
import { timestamp } from '../../shared/time.js';
import { addActivity } from './store/activities.js';
import type { Workflow } from './types.js';

/** An open workflow that another operation cancelled, and the scripts it still had running. */
export interface CancelledWorkflow {
  workflowId: string;
  /** Executions without a result: their agents are told to kill them. */
  executions: { id: string; machine: string }[];
}

/** How long a new workflow waits, at most, for the one it cancelled to stop running here. */
export const CANCEL_HOLD_MS = 30_000;

/**
 * Cancels an open workflow inside the caller's transaction (force_terminate of a busy instance):
 * it is closed as `cancelled` (so no worker runs or resumes it), its scripts without a result are
 * recorded as `killed`, and an activity entry says which operation ended it.
 */
export async function cancelWorkflow(
  trx: Transaction<Database>,
  open: Workflow,
  by: string,
  events: NewEvent[],
): Promise<CancelledWorkflow> {
  const now = timestamp();
  const error = `Cancelled by ${by}.`;
  await trx
    .updateTable('workflows')
    .set({
      state: 'cancelled',
      open_for: null,
      finished: now,
      updated: now,
      error,
      lease_owner: null,
      lease_expires: 0,
    })
    .where('id', '=', open.id)
    .execute();
  const executions = await trx
    .selectFrom('executions')
    .select(['id', 'machine'])
    .where('workflow_id', '=', open.id)
    .where('status', 'is', null)
    .execute();
  if (executions.length) {
    await trx
      .updateTable('executions')
      .set({ status: 'killed', message: error, finished: now })
      .where('workflow_id', '=', open.id)
      .where('status', 'is', null)
      .execute();
  }
  await addActivity(
    trx,
    {
      instanceId: open.instanceId,
      workflowId: open.id,
      workspace: open.workspace,
      text: `Operation ${open.operation} cancelled by ${by}.`,
      level: 'info',
    },
    events,
  );
  return { workflowId: open.id, executions };
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
