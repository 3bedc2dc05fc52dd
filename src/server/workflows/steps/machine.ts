import { CloseCode } from '../../../shared/protocol.js';
import { freePort } from '../../providers/free-port.js';
import type { MachineSpec, Provider } from '../../providers/types.js';
import { newToken } from '../../auth/security.js';
import { getInstance, type InstanceDoc } from '../../instances/store.js';
import type { InstanceVariable } from '../../instances/variable-overrides.js';
import { addActivity } from '../store/activities.js';
import { getMachine, setMachineState, upsertMachine, type Machine } from '../store/machines.js';
import { mutateInstance, providerIdOf, serviceOf } from '../instance-doc.js';
import { connectedElsewhere } from '../replica-presence.js';
import { instanceTrees } from '../trees.js';
import { effectiveVariables } from '../variables.js';
import { waitFor } from '../wait.js';
import { failed, type StepOutcome, type StepRun } from './step.js';

type MachineStep = StepRun<{ kind: string; machine: string }>;

const LOCAL_ADDRESS = { public: '127.0.0.1', private: '127.0.0.1' };

async function context(run: MachineStep): Promise<{ doc: InstanceDoc; provider: Provider } | StepOutcome> {
  const doc = await getInstance(run.env.db, run.wf.instanceId);
  if (!doc) return failed(`instance ${run.wf.instanceId} no longer exists`);
  const providerId = providerIdOf(doc);
  if (!providerId) return failed(`the policy of instance ${doc.id} names no provider`);
  return { doc, provider: await run.env.providerFor(providerId) };
}

/** Stores the machine with a token (the live agent's, if any) before its agent starts. */
async function machineSpec(run: MachineStep, doc: InstanceDoc, provider: Provider): Promise<MachineSpec> {
  const name = run.step.machine;
  const token = (await provider.existingToken(name)) ?? newToken();
  await upsertMachine(run.env.db, {
    name,
    instanceId: doc.id,
    workspace: doc.owner,
    serviceId: serviceOf(doc).id,
    providerId: providerIdOf(doc) as string,
    token,
    address: LOCAL_ADDRESS,
  });
  return {
    name,
    instanceId: doc.id,
    token,
    serverUrl: run.env.publicUrl(),
    pingIntervalMs: run.env.tunables.pingIntervalMs,
  };
}

/** Free ports for the Port variables the deploy request did not set (local machines share one host). */
async function portOverrides(run: MachineStep, doc: InstanceDoc): Promise<InstanceVariable[]> {
  const given = (doc.variables as InstanceVariable[] | undefined) ?? [];
  const trees = await instanceTrees(run.env.db, doc);
  const out: InstanceVariable[] = [];
  for (const [scope, vars] of effectiveVariables(trees.main, given)) {
    for (const v of vars) {
      if (v.type !== 'Port' || given.some((g) => g.name === v.name && (g.scope ?? '') === scope)) continue;
      out.push({ name: v.name, type: 'Port', value: String(await freePort()), ...(scope ? { scope } : {}) });
    }
  }
  return out;
}

export async function provision(run: MachineStep): Promise<StepOutcome> {
  const found = await context(run);
  if ('ok' in found) return found;
  const { doc, provider } = found;
  const spec = await machineSpec(run, doc, provider);
  const machine = await provider.provision(spec);
  const ports = await portOverrides(run, doc);
  const { wf } = run;
  return {
    ok: true,
    // Port assignments stay in this result until the deploy ends (see `finishOperation`), so the
    // instance document does not change under clients while the machine comes up.
    result: { agentPid: machine.agentPid, address: machine.address, ports },
    commit: async (trx, events) => {
      // The host's address as the provider knows it (a remote host's, not the local default).
      await setMachineState(trx, spec.name, 'running', { agentPid: machine.agentPid, address: machine.address });
      const base = { instanceId: wf.instanceId, workflowId: wf.id, workspace: wf.workspace, machine: spec.name };
      await addActivity(
        trx,
        { ...base, text: `Machine ${spec.name} provisioned by provider ${provider.kind}.`, level: 'add' },
        events,
      );
      await addActivity(
        trx,
        { ...base, text: `Waiting to install ElasticBox agent in machine ${spec.name}.`, level: 'waiting' },
        events,
      );
    },
  };
}

/** Waits until the machine's agent is connected to this server or, with replicas, to another one. */
export async function waitAgent(run: MachineStep): Promise<StepOutcome> {
  const { env, step, signal } = run;
  const seconds = Math.round(env.tunables.agentConnectTimeoutMs / 1000);
  // Without a provider that can tell, the wait falls back to the timeout alone.
  const found = await context(run).catch(() => undefined);
  const provider = !found || 'ok' in found ? undefined : found.provider;
  let exited: string | undefined;
  const session = await waitFor(
    async (): Promise<{ id: number | null } | null | undefined> => {
      const s = env.agents.session(step.machine);
      if (s) return s;
      // Connected to another replica: scripts reach it there (remote-dispatch.ts).
      if (await connectedElsewhere(env, step.machine)) return { id: null };
      // An agent that died (bad flags, unreadable files, …) will never connect: say why now.
      exited = provider?.agentExitCause?.(step.machine);
      return exited === undefined ? undefined : null;
    },
    {
      signal,
      wake: { emitter: env.agents.events, events: [`connect:${step.machine}`] },
      pollMs: env.tunables.pollMs,
      timeoutMs: env.tunables.agentConnectTimeoutMs,
      timeoutMessage: `The agent of machine ${step.machine} did not connect within ${seconds} s.`,
      timeoutCode: 'agent_unreachable',
    },
  );
  if (!session) return failed(`The agent of machine ${step.machine} exited before it connected:\n${exited}`);
  const machine = (await getMachine(env.db, step.machine)) as Machine;
  return { ok: true, result: { session: session.id, agentVersion: machine.agentVersion } };
}

/** Starts the agent of an existing machine unless it runs already (power on, host rebooted). */
export async function boot(run: MachineStep): Promise<StepOutcome> {
  const found = await context(run);
  if ('ok' in found) return found;
  const { doc, provider } = found;
  const machine = await getMachine(run.env.db, run.step.machine);
  if (!machine || machine.state === 'terminated') return failed(`Instance ${doc.id} has no machine to power on.`);
  const alive = machine.state === 'running' && (await provider.agentAlive(machine.name));
  const agentPid = alive ? machine.agentPid : (await provider.boot(await machineSpec(run, doc, provider))).agentPid;
  const { wf } = run;
  return {
    ok: true,
    result: { agentPid, started: !alive },
    commit: async (trx, events) => {
      await setMachineState(trx, machine.name, 'running', { agentPid });
      if (!alive) {
        const text = `Machine ${machine.name} powered on.`;
        await addActivity(
          trx,
          {
            instanceId: wf.instanceId,
            workflowId: wf.id,
            workspace: wf.workspace,
            machine: machine.name,
            text,
            level: 'start',
          },
          events,
        );
      }
    },
  };
}

/** Restarts the agent after a script asked for a reboot (exit code 100). */
export async function rebootMachine(run: MachineStep): Promise<number> {
  const found = await context(run);
  if ('ok' in found) throw new Error(found.error);
  const spec = await machineSpec(run, found.doc, found.provider);
  const { agentPid } = await found.provider.reboot(spec);
  await setMachineState(run.env.db, spec.name, 'running', { agentPid });
  return agentPid;
}

/** Shuts the machine down (after the stop phase); the instance's event becomes `shutdown_service`. */
export async function powerOff(run: MachineStep): Promise<StepOutcome> {
  const found = await context(run);
  if ('ok' in found) return found;
  await found.provider.powerOff(run.step.machine);
  const { wf } = run;
  const name = run.step.machine;
  return {
    ok: true,
    result: {},
    commit: async (trx, events) => {
      await setMachineState(trx, name, 'stopped', { agentPid: null });
      await mutateInstance(trx, wf.instanceId, (d) => (d.operation = { ...d.operation, event: 'shutdown_service' }), {
        events,
        workflowId: wf.id,
      });
      const text = `Machine ${name} powered off.`;
      await addActivity(
        trx,
        { instanceId: wf.instanceId, workflowId: wf.id, workspace: wf.workspace, machine: name, text, level: 'stop' },
        events,
      );
    },
  };
}

/** Destroys the machine: its processes, its sandbox and its agent token. */
export async function destroy(run: MachineStep): Promise<StepOutcome> {
  const found = await context(run);
  if ('ok' in found) return found;
  const name = run.step.machine;
  await found.provider.destroy(name);
  run.env.agents.disconnect(name, CloseCode.revoked, 'machine destroyed');
  const { wf } = run;
  return {
    ok: true,
    result: {},
    commit: async (trx, events) => {
      await setMachineState(trx, name, 'terminated', { agentPid: null, revokeToken: true });
      await mutateInstance(trx, wf.instanceId, (d) => (d.operation = { ...d.operation, event: 'terminate_service' }), {
        events,
        workflowId: wf.id,
      });
      const text = `Machine ${name} terminated.`;
      await addActivity(
        trx,
        { instanceId: wf.instanceId, workflowId: wf.id, workspace: wf.workspace, machine: name, text, level: 'stop' },
        events,
      );
    },
  };
}
