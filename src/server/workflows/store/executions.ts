import type { Transaction } from 'kysely';
import type { Db } from '../../store/db.js';
import type { Database, ExecutionsTable } from '../../store/schema.js';

type Conn = Db | Transaction<Database>;

/** Execution ids are deterministic per (workflow, step): a resumed step dispatches the same id. */
export const executionId = (workflowId: string, step: number): string => `${workflowId}.${step}`;

/** The terminal status of an execution: the agent's, or `agent-lost` when the agent lost it. */
export type ExecutionStatus = 'success' | 'failed' | 'timeout' | 'killed' | 'agent-lost';

export type Execution = ExecutionsTable;

export async function getExecution(db: Conn, id: string): Promise<Execution | undefined> {
  return db.selectFrom('executions').selectAll().where('id', '=', id).executeTakeFirst();
}

/** Executions dispatched to a machine that have no result yet. */
export async function unresolvedOn(db: Conn, machine: string): Promise<Execution[]> {
  return db.selectFrom('executions').selectAll().where('machine', '=', machine).where('status', 'is', null).execute();
}

export interface ExecutionResult {
  status: ExecutionStatus;
  exitCode: number | null;
  message: string | null;
  truncated: boolean;
  lastSeq: number | null;
  finished: string;
}

/** Stores the terminal result once; false when the execution already had one (a duplicate). */
export async function storeResult(trx: Conn, id: string, r: ExecutionResult): Promise<boolean> {
  const res = await trx
    .updateTable('executions')
    .set({
      status: r.status,
      exit_code: r.exitCode,
      message: r.message,
      truncated: r.truncated ? 1 : 0,
      last_seq: r.lastSeq,
      finished: r.finished,
    })
    .where('id', '=', id)
    .where('status', 'is', null)
    .executeTakeFirst();
  return res.numUpdatedRows === 1n;
}

export interface RecordQuery {
  machine?: string;
  scope?: string;
  event?: string;
  workflowId?: string;
}

/** Output records of an instance's executions, in execution then sequence order. */
export async function outputOf(db: Conn, instanceId: string, q: RecordQuery) {
  let query = db
    .selectFrom('executions')
    .innerJoin('execution_records', 'execution_records.execution_id', 'executions.id')
    .select([
      'executions.id',
      'executions.event',
      'executions.scope',
      'executions.box_name',
      'executions.machine',
      'executions.status',
      'executions.exit_code',
      'executions.created',
      'execution_records.seq',
      'execution_records.kind',
      'execution_records.text',
      'execution_records.partial',
    ])
    .where('executions.instance_id', '=', instanceId);
  if (q.machine) query = query.where('executions.machine', '=', q.machine);
  if (q.scope !== undefined) query = query.where('executions.scope', '=', q.scope);
  if (q.event) query = query.where('executions.event', '=', q.event);
  if (q.workflowId) query = query.where('executions.workflow_id', '=', q.workflowId);
  return query.orderBy('executions.created').orderBy('execution_records.seq').execute();
}

export async function executionsOf(db: Conn, instanceId: string, q: RecordQuery) {
  let query = db.selectFrom('executions').selectAll().where('instance_id', '=', instanceId);
  if (q.machine) query = query.where('machine', '=', q.machine);
  if (q.scope !== undefined) query = query.where('scope', '=', q.scope);
  if (q.event) query = query.where('event', '=', q.event);
  if (q.workflowId) query = query.where('workflow_id', '=', q.workflowId);
  return query.orderBy('created').execute();
}
