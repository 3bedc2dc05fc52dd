import { appendEvents, type NewEvent } from '../../events/log.js';
import { parseBlobUrl } from '../../boxes/blob-urls.js';
import { getBlobData } from '../../boxes/blob-store.js';
import { getInstance } from '../../instances/store.js';
import type { ExecuteMessage } from '../../../shared/protocol.js';
import { timestamp } from '../../../shared/time.js';
import { addActivity, type ActivityLevel } from '../store/activities.js';
import { executionId, getExecution, type Execution } from '../store/executions.js';
import { getMachine } from '../store/machines.js';
import { pendingPorts } from '../store/workflows.js';
import { scriptTimeout } from '../env.js';
import { addVariables } from '../instance-doc.js';
import { scriptInputs } from '../template-context.js';
import { instanceTrees } from '../trees.js';
import type { Phase, ScriptStep } from '../types.js';
import { waitFor } from '../wait.js';
import { rebootMachine } from './machine.js';
import { failed, type StepOutcome, type StepRun } from './step.js';

/** Exit code by which a script asks for a reboot (cam-api.md §4.2). */
export const REBOOT_EXIT_CODE = 100;

const LEVEL: Record<Phase, ActivityLevel> = {
  install: 'install',
  configure: 'configure',
  start: 'info',
  stop: 'stop',
  dispose: 'stop',
};

export const scriptLabel = (s: Pick<ScriptStep, 'event' | 'boxName'>): string => `${s.event}:${s.boxName}`;

/** Records the execution and announces it ("Executing install:Box in machine M.") once. */
async function createExecution(run: StepRun<ScriptStep>, id: string): Promise<void> {
  const { env, wf, index, step } = run;
  const events: NewEvent[] = [];
  await env.db.transaction().execute(async (trx) => {
    if (await getExecution(trx, id)) return;
    const text = `Executing ${scriptLabel(step)} in machine ${step.machine}.`;
    const activityId = await addActivity(
      trx,
      {
        instanceId: wf.instanceId,
        workflowId: wf.id,
        workspace: wf.workspace,
        text,
        level: LEVEL[step.phase],
        box: step.scope || step.boxName,
        machine: step.machine,
        event: step.event,
        exitCode: null,
        finished: null,
      },
      events,
    );
    await trx
      .insertInto('executions')
      .values({
        id,
        workflow_id: wf.id,
        step: index,
        instance_id: wf.instanceId,
        workspace: wf.workspace,
        machine: step.machine,
        scope: step.scope,
        box_name: step.boxName,
        event: step.event,
        activity_id: activityId,
        status: null,
        exit_code: null,
        message: null,
        truncated: 0,
        last_seq: null,
        stored_seq: 0,
        stored_bytes: 0,
        created: timestamp(),
        finished: null,
      })
      .execute();
    events.push({
      workspace: wf.workspace,
      type: 'script.start',
      instanceId: wf.instanceId,
      operationId: wf.id,
      data: { executionId: id, event: step.event, box: step.boxName, scope: step.scope, machine: step.machine },
    });
    await appendEvents(trx, events);
  });
  if (events.length) env.bus.committed(wf.workspace);
}

/**
 * The `execute` message: the script's text and its rendering context, built from the store now
 * (by the replica holding the agent's connection too: remote-dispatch.ts).
 */
export async function executeMessage(run: StepRun<ScriptStep>, id: string): Promise<ExecuteMessage | string> {
  const { env, wf, step } = run;
  const ref = parseBlobUrl(step.script);
  const data = ref ? await getBlobData(env.db, ref.id) : undefined;
  if (!data) return `The script of ${scriptLabel(step)} (${step.script}) is missing.`;
  const doc = await getInstance(env.db, wf.instanceId);
  const machine = await getMachine(env.db, step.machine);
  if (!doc || !machine) return `Instance ${wf.instanceId} or its machine ${step.machine} no longer exists.`;
  if (wf.operation === 'deploy' || wf.operation === 'redeploy') addVariables(doc, await pendingPorts(env.db, wf.id));
  const inputs = await scriptInputs(
    env.db,
    doc,
    await instanceTrees(env.db, doc),
    step.scope,
    machine,
    env.publicUrl(),
  );
  return {
    type: 'execute',
    executionId: id,
    operationId: wf.id,
    instanceId: wf.instanceId,
    event: step.event,
    scope: step.scope,
    boxName: step.boxName,
    template: data.toString('utf8'),
    timeoutSeconds: scriptTimeout(env.tunables),
    ...inputs,
  };
}

/**
 * Sends `execute` on every new connection of the machine's agent (unless the agent says it holds
 * the execution, in which case it re-sends its data by itself) and waits for the stored result.
 * An agent connected to another replica is asked for there (remote-dispatch.ts), at every check.
 */
async function dispatchAndWait(run: StepRun<ScriptStep>, id: string, message: ExecuteMessage): Promise<Execution> {
  const { env, step, signal } = run;
  return waitFor(
    async () => {
      const row = await getExecution(env.db, id);
      if (row?.status) return row;
      if (env.agents.session(step.machine)) env.agents.dispatch(step.machine, message);
      else env.replicas?.requestDispatch(step.machine);
      return undefined;
    },
    {
      signal,
      // A refused execute (the agent is busy, say) goes out again at the next poll.
      wake: { emitter: env.agents.events, events: [`result:${id}`, `connect:${step.machine}`] },
      pollMs: env.tunables.pollMs,
    },
  );
}

async function waitForReconnect(run: StepRun<ScriptStep>, previous: number | undefined): Promise<void> {
  const { env, step, signal } = run;
  await waitFor(
    async () => {
      const s = env.agents.session(step.machine);
      return s && s.id !== previous ? s : undefined;
    },
    {
      signal,
      wake: { emitter: env.agents.events, events: [`connect:${step.machine}`] },
      pollMs: env.tunables.pollMs,
      timeoutMs: env.tunables.agentConnectTimeoutMs,
      timeoutMessage: `The agent of machine ${step.machine} did not come back after a reboot.`,
      timeoutCode: 'agent_unreachable',
    },
  );
}

/** Runs one event script on the machine's agent; exit code 100 reboots the machine and goes on. */
export async function runScript(run: StepRun<ScriptStep>): Promise<StepOutcome> {
  const { env, wf, index, step } = run;
  const id = executionId(wf.id, index);
  await createExecution(run, id);
  let exec = (await getExecution(env.db, id)) as Execution;
  if (!exec.status) {
    const message = await executeMessage(run, id);
    if (typeof message === 'string') return failed(message);
    exec = await dispatchAndWait(run, id, message);
  }
  const result = { executionId: id, status: exec.status, exitCode: exec.exit_code };
  if (exec.status === 'success') return { ok: true, result };
  if (exec.exit_code === REBOOT_EXIT_CODE) {
    const previous = env.agents.session(step.machine)?.id;
    await rebootMachine({ ...run, step: { kind: 'reboot', machine: step.machine } });
    await waitForReconnect(run, previous);
    return { ok: true, result: { ...result, rebooted: true } };
  }
  const why =
    exec.status === 'timeout'
      ? `timed out after ${scriptTimeout(env.tunables)} s`
      : exec.exit_code !== null
        ? `exit code ${exec.exit_code}`
        : `${exec.status}${exec.message ? `: ${exec.message}` : ''}`;
  const error = `Failed executing ${scriptLabel(step)} in machine ${step.machine} (${why}).`;
  const code = exec.status === 'agent-lost' ? 'agent_unreachable' : undefined;
  return {
    ...failed(
      error,
      async (trx, events) => {
        await addActivity(
          trx,
          {
            instanceId: wf.instanceId,
            workflowId: wf.id,
            workspace: wf.workspace,
            text: error,
            level: 'info',
            box: step.scope || step.boxName,
            machine: step.machine,
            event: step.event,
            exitCode: exec.exit_code,
            finished: exec.finished,
            code,
          },
          events,
        );
      },
      code,
    ),
    result: { ...result, error },
  };
}
