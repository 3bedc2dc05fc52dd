import { backoffWindow } from '../../shared/backoff.js';
import { LOCAL_PROVIDER_TYPE } from '../bootstrap.js';
import { appendEvents, type NewEvent } from '../events/log.js';
import type { MachineSpec, Provider } from '../providers/types.js';
import type { EngineEnv } from './env.js';
import { addActivity } from './store/activities.js';
import { executionId, getExecution } from './store/executions.js';
import { setMachineState, toMachine, type Machine } from './store/machines.js';
import { openWorkflowOf } from './store/workflows.js';

/** Steps that start or stop the machine's agent themselves: supervision keeps out of their way. */
const MACHINE_STEPS = new Set(['provision', 'boot', 'power_off', 'destroy']);

/** Longest wait between two restarts of an agent that keeps dying. */
const MAX_BACKOFF_MS = 60_000;

/**
 * Restarts the agents of running local machines whose agent process died (kill -9, crash, OOM).
 * The provider knows each agent's pid; the restarted agent's outbox then reports what became of
 * the executions the dead one held (its results, or `killed` for scripts it never saw end), once.
 * Runs on the server's supervision tick and at start. An agent that keeps dying is restarted with
 * a doubling delay (P, 2P, … up to a minute).
 */
export class AgentSupervisor {
  private readonly backoff = new Map<string, { failures: number; notBefore: number }>();

  constructor(private readonly env: EngineEnv) {}

  /**
   * Checks every running local machine once; returns the names of the machines it restarted. It
   * runs every second: only local machines are read (remote agents are not this host's to
   * restart), and a connected one is not parsed (a fleet of 10,000 idle remote agents made this
   * tick read and parse every machine row each second: T4, issue 12).
   */
  async check(now = Date.now()): Promise<string[]> {
    const rows = await this.env.db
      .selectFrom('machines')
      .innerJoin('providers', 'providers.id', 'machines.provider_id')
      .selectAll('machines')
      .where('machines.state', '=', 'running')
      .where('providers.type', '=', LOCAL_PROVIDER_TYPE)
      .execute();
    const restarted: string[] = [];
    for (const row of rows) {
      if (this.env.agents.session(row.name)) {
        this.backoff.delete(row.name);
        continue;
      }
      const machine = toMachine(row);
      const wait = this.backoff.get(machine.name);
      if (wait && now < wait.notBefore) continue;
      const provider = await this.env.providerFor(machine.providerId).catch(() => undefined);
      // Agents of other hosts restart under their own supervisor; the server restarts its own.
      if (!provider || provider.selfSupervised || (await provider.agentAlive(machine.name))) continue;
      if (await this.agentStepRunning(machine)) continue;
      const token = await provider.existingToken(machine.name);
      if (!token) continue;
      const failures = (wait?.failures ?? 0) + 1;
      const delay = backoffWindow(failures - 1, { baseMs: this.env.tunables.pingIntervalMs, capMs: MAX_BACKOFF_MS });
      this.backoff.set(machine.name, { failures, notBefore: now + delay });
      await this.restart(provider, machine, token);
      restarted.push(machine.name);
    }
    return restarted;
  }

  /**
   * Whether the instance's open operation is in a step that starts or stops the agent itself: a
   * machine step, or a script step whose execution ended (a reboot after exit code 100).
   */
  private async agentStepRunning(machine: Machine): Promise<boolean> {
    const wf = await openWorkflowOf(this.env.db, machine.instanceId);
    const step = wf?.plan[wf.nextStep];
    if (!wf || !step) return false;
    if (MACHINE_STEPS.has(step.kind)) return true;
    if (step.kind !== 'script') return false;
    return Boolean((await getExecution(this.env.db, executionId(wf.id, wf.nextStep)))?.status);
  }

  private async restart(provider: Provider, machine: Machine, token: string): Promise<void> {
    const spec: MachineSpec = {
      name: machine.name,
      instanceId: machine.instanceId,
      token,
      serverUrl: this.env.publicUrl(),
      pingIntervalMs: this.env.tunables.pingIntervalMs,
    };
    const { agentPid } = await provider.boot(spec);
    const events: NewEvent[] = [];
    await this.env.db.transaction().execute(async (trx) => {
      await setMachineState(trx, machine.name, 'running', { agentPid });
      await addActivity(
        trx,
        {
          instanceId: machine.instanceId,
          workflowId: null,
          workspace: machine.workspace,
          machine: machine.name,
          text: `The agent of machine ${machine.name} was not running: restarted it.`,
          level: 'info',
        },
        events,
      );
      await appendEvents(trx, events);
    });
    this.env.bus.committed(machine.workspace);
  }
}
