import type { Selectable, Transaction } from 'kysely';
import type { NewEvent } from '../../events/log.js';
import type { EventData } from '../../../shared/events.js';
import type { Db } from '../../store/db.js';
import type { ActivitiesTable, Database } from '../../store/schema.js';
import type { ErrorCode } from '../../../shared/errors.js';
import { timestamp } from '../../../shared/time.js';

type Conn = Db | Transaction<Database>;

/** Activity levels (cam-api.md §3.6). */
export type ActivityLevel = 'start' | 'add' | 'info' | 'waiting' | 'install' | 'configure' | 'success' | 'stop';

export interface NewActivity {
  instanceId: string;
  workflowId: string | null;
  workspace: string;
  text: string;
  level: ActivityLevel;
  box?: string;
  machine?: string;
  event?: string;
  exitCode?: number | null;
  finished?: string | null;
  username?: string;
  requestId?: string;
  /** Why an operation failed, machine-readable (shared/errors.ts), on failure entries only. */
  code?: ErrorCode;
}

/** An activity entry as served (cam-api.md §3.6). */
export function activityDoc(r: Selectable<ActivitiesTable>): EventData<'activity'> {
  return {
    text: r.text,
    level: r.level,
    request_id: r.request_id,
    created: r.created,
    ...(r.box !== null ? { box: r.box } : {}),
    ...(r.machine !== null ? { machine: r.machine } : {}),
    ...(r.event !== null ? { event: r.event } : {}),
    ...(r.exit_code !== null || r.event !== null ? { exit_code: r.exit_code } : {}),
    ...(r.finished !== null || r.event !== null ? { finished: r.finished } : {}),
    ...(r.username !== null ? { username: r.username } : {}),
    ...(r.code !== null ? { code: r.code as ErrorCode } : {}),
  };
}

/** Stores an activity entry and queues its event; returns the entry's id. */
export async function addActivity(trx: Conn, a: NewActivity, events: NewEvent[]): Promise<number> {
  const row = {
    instance_id: a.instanceId,
    workflow_id: a.workflowId,
    workspace: a.workspace,
    text: a.text,
    level: a.level,
    box: a.box ?? null,
    machine: a.machine ?? null,
    event: a.event ?? null,
    exit_code: a.exitCode ?? null,
    finished: a.finished ?? null,
    username: a.username ?? null,
    request_id: a.requestId ?? null,
    code: a.code ?? null,
    created: timestamp(),
  };
  const inserted = await trx.insertInto('activities').values(row).returning('id').executeTakeFirstOrThrow();
  events.push({
    workspace: a.workspace,
    type: 'activity',
    instanceId: a.instanceId,
    operationId: a.workflowId,
    data: activityDoc({ ...row, id: inserted.id }),
  });
  return inserted.id;
}

/** Records a script's exit code and finish time on the activity entry that announced it. */
export async function finishActivity(trx: Conn, id: number, exitCode: number | null, finished: string): Promise<void> {
  await trx.updateTable('activities').set({ exit_code: exitCode, finished }).where('id', '=', id).execute();
}

export async function activitiesOf(db: Conn, instanceId: string, workflowIds?: string[]) {
  let q = db.selectFrom('activities').selectAll().where('instance_id', '=', instanceId);
  if (workflowIds) q = q.where('workflow_id', 'in', workflowIds.length ? workflowIds : ['']);
  return q.orderBy('id').execute();
}
