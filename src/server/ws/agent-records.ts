import type { Insertable, Transaction } from 'kysely';
import { appendEvents, type NewEvent } from '../events/log.js';
import type { Db } from '../store/db.js';
import { getInstance, getInstanceForUpdate, updateInstance, type InstanceDoc } from '../instances/store.js';
import type { Database, ExecutionRecordsTable } from '../store/schema.js';
import type { BoxDoc } from '../boxes/store.js';
import { treeFromStack, type InstanceVariable } from '../instances/variable-overrides.js';
import { addActivity, finishActivity } from '../workflows/store/activities.js';
import { getExecution, storeResult, type Execution, type ExecutionResult } from '../workflows/store/executions.js';
import { effectiveVariables, secretsOf } from '../workflows/variables.js';
import {
  DEFAULT_OUTPUT_CAP_BYTES,
  type ExecutionRecord,
  type OutputMessage,
  type ResultMessage,
} from '../../shared/protocol.js';
import { Redactor } from '../../shared/redact.js';
import { timestamp } from '../../shared/time.js';

type Trx = Transaction<Database>;

/** An execution the agent named is not one dispatched to its machine. */
export class ForeignExecutionError extends Error {
  override readonly name = 'ForeignExecutionError';
  constructor(readonly executionId: string) {
    super(`execution ${executionId} belongs to another machine`);
  }
}

/**
 * The execution `id` if it was dispatched to `machine` (undefined when there is no such execution);
 * throws {@link ForeignExecutionError} when it belongs to another machine (quality.md A3).
 */
export async function ownExecution(db: Db | Trx, id: string, machine: string): Promise<Execution | undefined> {
  const exec = await getExecution(db, id);
  if (exec && exec.machine !== machine) throw new ForeignExecutionError(id);
  return exec;
}

/** Throws {@link ForeignExecutionError} when any of `ids` is an execution of another machine. */
export async function checkOwnExecutions(db: Db, ids: string[], machine: string): Promise<void> {
  for (let i = 0; i < ids.length; i += 500) {
    const foreign = await db
      .selectFrom('executions')
      .select('id')
      .where('id', 'in', ids.slice(i, i + 500))
      .where('machine', '!=', machine)
      .executeTakeFirst();
    if (foreign) throw new ForeignExecutionError(foreign.id);
  }
}

const instanceVars = (doc: InstanceDoc) => {
  const tree = treeFromStack((doc.boxes as BoxDoc[] | undefined) ?? []);
  return tree ? effectiveVariables(tree, (doc.variables as InstanceVariable[] | undefined) ?? []) : new Map();
};

/** Masks the instance's Password values again on the server (the agent masked them first). */
export async function redactorFor(db: Db, instanceId: string): Promise<Redactor> {
  const doc = await getInstance(db, instanceId);
  return new Redactor(doc ? secretsOf(instanceVars(doc)) : []);
}

/** `elasticbox set`: stores the value on the instance when the box at `scope` has that variable. */
async function setVariable(trx: Trx, instanceId: string, scope: string, name: string, value: string): Promise<boolean> {
  const doc = await getInstanceForUpdate(trx, instanceId);
  if (!doc) return false;
  const target = instanceVars(doc)
    .get(scope)
    ?.find((v: { name: string }) => v.name === name);
  if (!target || target.type === 'Box' || target.type === 'Binding') return false;
  const variables = ((doc.variables as InstanceVariable[] | undefined) ?? []).filter(
    (v) => !(v.name === name && (v.scope ?? '') === scope),
  );
  variables.push({ name, type: target.type, value, ...(scope ? { scope } : {}) });
  await updateInstance(trx, { ...doc, variables });
  return true;
}

/** Advances the execution's contiguous stored sequence past `seq` and returns it. */
async function advance(trx: Trx, exec: Execution): Promise<number> {
  let stored = exec.stored_seq;
  const later = await trx
    .selectFrom('execution_records')
    .select('seq')
    .where('execution_id', '=', exec.id)
    .where('seq', '>', stored)
    .orderBy('seq')
    .execute();
  for (const r of later) {
    if (r.seq !== stored + 1) break;
    stored = r.seq;
  }
  return stored;
}

export interface StoredRecords {
  /** Per execution: everything up to this seq is stored, the `ack` to send. */
  acks: Map<string, number>;
  /** Instances whose scripts asked to reconfigure their bound instances (`elasticbox notify`). */
  notify: Set<string>;
  workspaces: Set<string>;
}

interface BatchState {
  exec: Execution;
  bytes: number;
  truncated: boolean;
  known: Set<number>;
}

/** Consecutive output lines of one execution and stream become one `script.output` event. */
function appendOutput(events: NewEvent[], exec: Execution, msg: OutputMessage, line: string): void {
  const last = events.at(-1);
  const data = last?.data as { executionId?: string; stream?: string; lines?: string[]; lastSeq?: number } | undefined;
  if (!msg.partial && data?.lines && data.executionId === exec.id && data.stream === msg.stream) {
    data.lines.push(line);
    data.lastSeq = msg.seq;
    return;
  }
  events.push({
    workspace: exec.workspace,
    type: 'script.output',
    instanceId: exec.instance_id,
    operationId: exec.workflow_id,
    data: msg.partial
      ? { executionId: exec.id, seq: msg.seq, stream: msg.stream, line, partial: true }
      : { executionId: exec.id, seq: msg.seq, lastSeq: msg.seq, stream: msg.stream, lines: [line] },
  });
}

/**
 * Stores a batch of records of executions' streams in ONE transaction: each `(executionId, seq)`
 * once (duplicates are dropped), output past the cap counted but not kept, and consecutive lines
 * grouped into `script.output` events. One commit per batch is what lets the hub keep up with
 * many chatty scripts; the agent resends anything not acked, so a failed batch loses nothing.
 */
export async function storeRecords(
  db: Db,
  machine: string,
  msgs: ExecutionRecord[],
  redactorOf: (executionId: string) => Redactor,
): Promise<StoredRecords> {
  return db.transaction().execute(async (trx) => {
    const states = new Map<string, BatchState | null>();
    const events: NewEvent[] = [];
    const rows: Insertable<ExecutionRecordsTable>[] = [];
    const out: StoredRecords = { acks: new Map(), notify: new Set(), workspaces: new Set() };
    const now = timestamp();
    for (const msg of msgs) {
      let st = states.get(msg.executionId);
      if (st === undefined) {
        const exec = await ownExecution(trx, msg.executionId, machine);
        st = exec ? { exec, bytes: exec.stored_bytes, truncated: exec.truncated === 1, known: new Set() } : null;
        if (st) {
          const seqs = msgs.filter((m) => m.executionId === msg.executionId).map((m) => m.seq);
          const stored = await trx
            .selectFrom('execution_records')
            .select('seq')
            .where('execution_id', '=', msg.executionId)
            .where('seq', '>=', Math.min(...seqs))
            .where('seq', '<=', Math.max(...seqs))
            .execute();
          for (const r of stored) st.known.add(r.seq);
        }
        states.set(msg.executionId, st);
      }
      if (!st || st.known.has(msg.seq)) continue;
      st.known.add(msg.seq);
      const { exec } = st;
      let text = '';
      if (msg.type === 'output') {
        text = redactorOf(exec.id).redact(msg.line);
        const bytes = Buffer.byteLength(text) + 1;
        if (st.bytes + bytes > DEFAULT_OUTPUT_CAP_BYTES) {
          text = '';
          st.truncated = true;
        } else {
          st.bytes += bytes;
          appendOutput(events, exec, msg, text);
        }
      } else if (msg.type === 'set_variable') {
        const applied = await setVariable(trx, exec.instance_id, msg.scope, msg.name, msg.value);
        text = `${msg.scope ? `${msg.scope}.` : ''}${msg.name}${applied ? '' : ' (unknown variable, ignored)'}`;
      } else {
        out.notify.add(exec.instance_id);
      }
      rows.push({
        execution_id: exec.id,
        seq: msg.seq,
        kind: msg.type,
        stream: msg.type === 'output' ? msg.stream : null,
        text,
        partial: msg.type === 'output' && msg.partial ? 1 : 0,
        created: now,
      });
    }
    for (let i = 0; i < rows.length; i += 500) {
      await trx
        .insertInto('execution_records')
        .values(rows.slice(i, i + 500))
        .execute();
    }
    for (const st of states.values()) {
      if (!st) continue;
      const storedSeq = await advance(trx, st.exec);
      await trx
        .updateTable('executions')
        .set({ stored_seq: storedSeq, stored_bytes: st.bytes, truncated: st.truncated ? 1 : 0 })
        .where('id', '=', st.exec.id)
        .execute();
      out.acks.set(st.exec.id, storedSeq);
      out.workspaces.add(st.exec.workspace);
    }
    if (events.length) await appendEvents(trx, events);
    return out;
  });
}

export interface StoredResult {
  /** First delivery (false for a duplicate). */
  fresh: boolean;
  /** The result and every record up to its `lastSeq` are stored: send `result_ack`. */
  complete: boolean;
  workspace?: string;
}

/** Stores an execution's terminal result once, closes its activity entry and emits `script.finish`. */
export async function storeExecutionResult(
  db: Db,
  machine: string,
  id: string,
  result: Omit<ExecutionResult, 'finished'>,
  opts: { fromAgent?: boolean } = {},
): Promise<StoredResult> {
  return db.transaction().execute(async (trx) => {
    const exec = await ownExecution(trx, id, machine);
    if (!exec) return { fresh: false, complete: true };
    const finished = timestamp();
    const fresh = await storeResult(trx, id, {
      ...result,
      truncated: result.truncated || exec.truncated === 1,
      finished,
    });
    if (fresh) {
      if (exec.activity_id !== null) await finishActivity(trx, exec.activity_id, result.exitCode, finished);
      const data = {
        executionId: id,
        status: result.status,
        exitCode: result.exitCode,
        event: exec.event,
        box: exec.box_name,
        scope: exec.scope,
        machine: exec.machine,
        ...(result.message ? { message: result.message } : {}),
      };
      const event: NewEvent = {
        workspace: exec.workspace,
        type: 'script.finish',
        instanceId: exec.instance_id,
        operationId: exec.workflow_id,
        data,
      };
      await appendEvents(trx, [event]);
    }
    if (!fresh && opts.fromAgent) await auditLateResult(trx, exec, result);
    return { fresh, complete: exec.stored_seq >= (result.lastSeq ?? 0), workspace: exec.workspace };
  });
}

/**
 * A result from the agent for an execution the server had already ended otherwise (`agent-lost`
 * after the execution lease, `killed` by a force terminate): it is acknowledged like a duplicate
 * and never becomes a second result, but the instance's activity records it once.
 */
async function auditLateResult(trx: Trx, exec: Execution, result: Omit<ExecutionResult, 'finished'>): Promise<void> {
  if (exec.status === null || (exec.status === result.status && exec.exit_code === result.exitCode)) return;
  const code = result.exitCode !== null ? `, exit code ${result.exitCode}` : '';
  const text =
    `Late result of ${exec.event}:${exec.box_name} in machine ${exec.machine} (${result.status}${code}) ignored: ` +
    `the execution had already ended ${exec.status}.`;
  const seen = await trx
    .selectFrom('activities')
    .select('id')
    .where('instance_id', '=', exec.instance_id)
    .where('text', '=', text)
    .executeTakeFirst();
  if (seen) return;
  const events: NewEvent[] = [];
  await addActivity(
    trx,
    {
      instanceId: exec.instance_id,
      workflowId: exec.workflow_id,
      workspace: exec.workspace,
      text,
      level: 'info',
      box: exec.scope || exec.box_name,
      machine: exec.machine,
    },
    events,
  );
  await appendEvents(trx, events);
}

export const resultOf = (msg: ResultMessage): Omit<ExecutionResult, 'finished'> => ({
  status: msg.status,
  exitCode: msg.exitCode,
  message: msg.message ?? (msg.signal ? `ended by ${msg.signal}` : null),
  truncated: msg.truncated,
  lastSeq: msg.lastSeq,
});
