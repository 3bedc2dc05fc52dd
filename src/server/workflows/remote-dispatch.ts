import type { AgentControl, EngineEnv, ReplicaPeers } from './env.js';
import { executeMessage } from './steps/script.js';
import { executionId, unresolvedOn } from './store/executions.js';
import { getWorkflow } from './store/workflows.js';

/**
 * Scripts across replicas (issue 13). A workflow runs on the replica that holds its lease; the
 * machine's agent may be connected to another one. The waiting replica asks the others to dispatch
 * (`requestDispatch`, a batched NOTIFY through the replica bridge, repeated at each of its polls
 * until the result is stored). The replica holding the agent's connection builds the same
 * `execute` message from the store (`dispatchPendingOf`) and sends it once per connection; the
 * result it stores is announced back, which wakes the waiter (the store stays the truth: the
 * waiter polls it too). Routing through the store was chosen over moving the workflow to the
 * agent's replica: leases stay where they are, and an agent that reconnects elsewhere mid-script
 * needs nothing more than the next request.
 *
 * Sends `execute` for the pending executions of a machine whose agent is connected here: each the
 * current script step of an open workflow. Returns how many went out.
 */
export async function dispatchPendingOf(env: EngineEnv, machine: string): Promise<number> {
  if (!env.agents.session(machine)) return 0;
  let sent = 0;
  for (const exec of await unresolvedOn(env.db, machine)) {
    const wf = await getWorkflow(env.db, exec.workflow_id);
    if (!wf || wf.state !== 'running' || executionId(wf.id, wf.nextStep) !== exec.id) continue;
    const step = wf.plan[wf.nextStep];
    if (step?.kind !== 'script') continue;
    const signal = new AbortController().signal;
    const message = await executeMessage({ env, wf, index: wf.nextStep, step, signal }, exec.id);
    if (typeof message !== 'string' && env.agents.dispatch(machine, message)) sent++;
  }
  return sent;
}

/**
 * Joins an orchestration's hub and engine to the other replicas: dispatch requests and results
 * both ways, and control messages (cancel, cleanup, close) for agents connected elsewhere.
 */
export function joinReplicas(
  env: EngineEnv,
  hub: { forward: ((c: AgentControl) => void) | undefined; control(c: AgentControl): void },
  peers: ReplicaPeers,
  onError: (err: unknown) => void,
): void {
  env.replicas = { requestDispatch: (machine) => peers.announce('dispatch', machine) };
  env.agents.events.on('result', (id: string) => peers.announce('result', id));
  hub.forward = (c) => peers.announce('control', JSON.stringify(c));
  peers.onAnnounce('dispatch', (machine) => void dispatchPendingOf(env, machine).catch(onError));
  peers.onAnnounce('result', (id) => env.agents.events.emit(`result:${id}`));
  peers.onAnnounce('control', (item) => hub.control(JSON.parse(item) as AgentControl));
}
