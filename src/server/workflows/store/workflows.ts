import type { Transaction } from 'kysely';
import type { Db } from '../../store/db.js';
import type { Database, WorkflowsTable } from '../../store/schema.js';
import type { InstanceVariable } from '../../instances/variable-overrides.js';
import type { Operation, StepSpec, Workflow, WorkflowState } from '../types.js';

type Conn = Db | Transaction<Database>;

export function toWorkflow(row: WorkflowsTable): Workflow {
  return {
    id: row.id,
    instanceId: row.instance_id,
    workspace: row.workspace,
    operation: row.operation as Operation,
    state: row.state as WorkflowState,
    plan: JSON.parse(row.plan) as StepSpec[],
    nextStep: row.next_step,
    leaseOwner: row.lease_owner,
    leaseExpires: row.lease_expires,
    username: row.username,
    requestId: row.request_id,
    created: row.created,
  };
}

export interface NewWorkflow {
  id: string;
  instanceId: string;
  workspace: string;
  operation: Operation;
  plan: StepSpec[];
  username: string;
  requestId: string;
  created: string;
}

/** Inserts an open workflow; the unique `open_for` makes a second open one per instance fail. */
export async function insertWorkflow(db: Conn, w: NewWorkflow): Promise<void> {
  await db
    .insertInto('workflows')
    .values({
      id: w.id,
      instance_id: w.instanceId,
      workspace: w.workspace,
      operation: w.operation,
      state: 'pending',
      open_for: w.instanceId,
      plan: JSON.stringify(w.plan),
      next_step: 0,
      lease_owner: null,
      lease_expires: 0,
      error: null,
      username: w.username,
      request_id: w.requestId,
      created: w.created,
      updated: w.created,
      finished: null,
    })
    .execute();
}

export async function getWorkflow(db: Conn, id: string): Promise<Workflow | undefined> {
  const row = await db.selectFrom('workflows').selectAll().where('id', '=', id).executeTakeFirst();
  return row ? toWorkflow(row) : undefined;
}

/** The pending or running workflow of an instance, if any. */
export async function openWorkflowOf(db: Conn, instanceId: string): Promise<Workflow | undefined> {
  const row = await db.selectFrom('workflows').selectAll().where('open_for', '=', instanceId).executeTakeFirst();
  return row ? toWorkflow(row) : undefined;
}

export async function workflowsOf(db: Conn, instanceId: string): Promise<WorkflowsTable[]> {
  return db.selectFrom('workflows').selectAll().where('instance_id', '=', instanceId).orderBy('created').execute();
}

/** True when a database error is a unique-constraint violation (SQLite or PostgreSQL). */
export function isUniqueViolation(err: unknown): boolean {
  const e = err as { code?: string; message?: string };
  return e?.code === 'SQLITE_CONSTRAINT_UNIQUE' || e?.code === 'SQLITE_CONSTRAINT_PRIMARYKEY' || e?.code === '23505';
}

/** Port variables a deploy's provision step assigned, until the deploy writes them to the instance. */
export async function pendingPorts(db: Conn, workflowId: string): Promise<InstanceVariable[]> {
  const row = await db
    .selectFrom('step_results')
    .select('result')
    .where('workflow_id', '=', workflowId)
    .where('kind', '=', 'provision')
    .executeTakeFirst();
  if (!row) return [];
  const result = JSON.parse(row.result) as { ports?: InstanceVariable[] };
  return result.ports ?? [];
}
