import type { Transaction } from 'kysely';
import { appendEvents, type NewEvent } from '../events/log.js';
import { compiledPerDialect } from '../store/compiled-query.js';
import type { Database } from '../store/schema.js';
import { failpoint } from '../failpoints.js';
import { isStoreUnavailable } from '../store/unavailable.js';
import { backoffWindow } from '../../shared/backoff.js';
import { timestamp } from '../../shared/time.js';
import { announceWorkflow } from './announce.js';
import { dispatchPending, membershipChanged } from './auto-reconfigure.js';
import type { EngineEnv } from './env.js';
import { addVariables, machineName, mutateInstance, setServiceMachines } from './instance-doc.js';
import { machinesOf } from './store/machines.js';
import { pendingPorts } from './store/workflows.js';
import { LeaseLostError } from './leases.js';
import { runStep } from './steps/index.js';
import { failed, type StepOutcome, type StepRun } from './steps/step.js';
import { addActivity } from './store/activities.js';
import { failedText, SUCCEEDED } from './texts.js';
import type { Workflow } from './types.js';
import { AbortedError, sleep, WaitTimeoutError } from './wait.js';

/**
 * The two statements every step commits, compiled once (bench/t09: building and compiling them
 * with Kysely on every step was a tenth of a step's CPU). The values take the placeholders' order.
 */
const advanceStep = compiledPerDialect(
  (db, next: number, updated: string, id: string, owner: string, state: string, index: number) =>
    db
      .updateTable('workflows')
      .set({ next_step: next, updated })
      .where('id', '=', id)
      .where('lease_owner', '=', owner)
      .where('state', '=', state)
      .where('next_step', '=', index),
  [-1, '\u0000updated', '\u0000id', '\u0000owner', '\u0000state', -2],
);
const insertStepResult = compiledPerDialect(
  (db, id: string, step: number, kind: string, outcome: string, result: string, created: string) =>
    db.insertInto('step_results').values({ workflow_id: id, step, kind, outcome, result, created }),
  ['\u0000id', -1, '\u0000kind', '\u0000outcome', '\u0000result', '\u0000created'],
);

export type StepRunner = (run: StepRun) => Promise<StepOutcome>;
export type RunEnd = 'done' | 'failed' | 'aborted';

/** Attempts of a step that throws an unexpected error before the operation fails. */
const STEP_ATTEMPTS = 3;

/** Closes the operation on the instance: state `done` or `unavailable`, activity, event. */
async function finishOperation(trx: Transaction<Database>, wf: Workflow, outcome: StepOutcome, events: NewEvent[]) {
  const machines = await machinesOf(trx, wf.instanceId);
  const provisions = wf.operation === 'deploy' || wf.operation === 'redeploy';
  const ports = provisions ? await pendingPorts(trx, wf.id) : [];
  const doc = await mutateInstance(
    trx,
    wf.instanceId,
    (d) => {
      d.state = outcome.ok ? 'done' : 'unavailable';
      setServiceMachines(d, machines);
      addVariables(d, ports);
    },
    { events, workflowId: wf.id, changesState: true },
  );
  if (!doc) return;
  const base = { instanceId: wf.instanceId, workflowId: wf.id, workspace: wf.workspace };
  if (outcome.ok && wf.operation === 'deploy') {
    const machine = machineName(doc);
    await addActivity(
      trx,
      { ...base, machine, text: `Machine ${machine} successfully deployed.`, level: 'success' },
      events,
    );
  }
  const text = outcome.ok ? SUCCEEDED[wf.operation] : failedText(wf.operation, outcome.error ?? '');
  await addActivity(trx, { ...base, text, level: outcome.ok ? 'success' : 'info', code: outcome.code }, events);
}

/**
 * Records a step's completion in one transaction: its `step_results` row, the workflow's next
 * step (only while this worker holds the lease and the step is still the next one), the step's
 * own effects and, for the last or a failed step, the end of the operation with the automatic
 * reconfigurations it causes (cam-api.md §4.3). Events committed with it wake the tails afterwards.
 */
export async function commitStep(env: EngineEnv, wf: Workflow, index: number, owner: string, outcome: StepOutcome) {
  const terminal = !outcome.ok || index === wf.plan.length - 1;
  const now = timestamp();
  const events: NewEvent[] = [];
  let started = 0;
  await env.db.transaction().execute(async (trx) => {
    let moved: bigint | undefined;
    if (terminal) {
      const r = await trx
        .updateTable('workflows')
        .set({
          next_step: index + 1,
          updated: now,
          state: outcome.ok ? 'done' : 'failed',
          open_for: null,
          finished: now,
          error: outcome.error ?? null,
          lease_owner: null,
          lease_expires: 0,
        })
        .where('id', '=', wf.id)
        .where('lease_owner', '=', owner)
        .where('state', '=', 'running')
        .where('next_step', '=', index)
        .executeTakeFirst();
      moved = r.numUpdatedRows;
    } else moved = (await advanceStep(trx, index + 1, now, wf.id, owner, 'running', index)).numAffectedRows;
    if (moved !== 1n) throw new LeaseLostError(wf.id);
    const kind = wf.plan[index]?.kind ?? 'none';
    await insertStepResult(trx, wf.id, index, kind, outcome.ok ? 'ok' : 'failed', JSON.stringify(outcome.result), now);
    await outcome.commit?.(trx, events);
    if (terminal) {
      await finishOperation(trx, wf, outcome, events);
      // The operation may have changed who binds to this instance, and a reconfigure may wait for it.
      started += await membershipChanged(trx, wf.instanceId, events);
      if (await dispatchPending(trx, wf.instanceId, events)) started++;
    }
    if (events.length) await appendEvents(trx, events);
  });
  wf.nextStep = index + 1;
  for (const workspace of new Set([wf.workspace, ...events.map((e) => e.workspace)])) env.bus.committed(workspace);
  if (started) announceWorkflow(env.bus);
  await failpoint('after-step-commit');
}

const isAbort = (err: unknown, signal: AbortSignal) =>
  signal.aborted || err instanceof AbortedError || err instanceof LeaseLostError;

/**
 * Runs a claimed workflow from its first unfinished step to its end. Each step's completion is
 * committed before the next step starts, so a crash resumes at the first step with no result.
 * Returns `aborted` when the worker stops or loses the lease; the workflow then stays open.
 */
export async function runWorkflow(
  env: EngineEnv,
  wf: Workflow,
  owner: string,
  signal: AbortSignal,
  runner: StepRunner = runStep,
): Promise<RunEnd> {
  for (let index = wf.nextStep; index < wf.plan.length; index++) {
    const step = wf.plan[index];
    if (!step) break;
    let outcome: StepOutcome | undefined;
    let transient = 0;
    for (let attempt = 1; !outcome; attempt++) {
      if (signal.aborted) return 'aborted';
      try {
        outcome = await runner({ env, wf, index, step, signal });
      } catch (err) {
        if (isAbort(err, signal)) return 'aborted';
        if (isStoreUnavailable(err)) {
          // The store is out of reach (PostgreSQL restarting): not the step's fault, and not an
          // attempt. Try again until it is back or the lease is gone (F3).
          attempt--;
          await sleep(backoffWindow(Math.min(transient++, 4), { baseMs: 250 }), { signal });
          continue;
        }
        if (err instanceof WaitTimeoutError) outcome = failed(err.message, undefined, err.code);
        else if (attempt >= STEP_ATTEMPTS) outcome = failed(`Step ${step.kind} failed: ${(err as Error).message}`);
        else await sleep(backoffWindow(attempt - 1, { baseMs: 250 }), { signal });
      }
    }
    try {
      await commitStep(env, wf, index, owner, outcome);
    } catch (err) {
      if (err instanceof LeaseLostError) return 'aborted';
      throw err;
    }
    if (!outcome.ok) return 'failed';
  }
  return 'done';
}
