import type { FastifyInstance } from 'fastify';
import type { ServerContext } from '../context.js';
import { ProviderRegistry } from '../providers/registry.js';
import type { LocalProviderOptions } from '../providers/local.js';
import { AgentHub, type AgentHubOptions } from '../ws/agent-hub.js';
import { agentRoute } from '../ws/agent-route.js';
import { AgentWatch } from './agent-watch.js';
import { sweepPending } from './auto-reconfigure.js';
import { releaseHold, type CancelledWorkflow } from './cancel.js';
import type { EngineEnv, Tunables } from './env.js';
import { configOf } from '../config-of.js';
import { LeaseScheduler } from './lease-scheduler.js';
import { reconfigureDependents } from './notify.js';
import { resetConnections } from './store/machines.js';
import { WorkflowWorker } from './worker.js';

export interface OrchestrationOptions {
  tunables?: Partial<Tunables>;
  agentCommand?: LocalProviderOptions['agentCommand'];
}

/** The moving parts behind instance operations: agent hub, workflow worker, lease scheduler. */
export class Orchestration {
  readonly tunables: Tunables;
  readonly hub: AgentHub;
  readonly env: EngineEnv;
  readonly worker: WorkflowWorker;
  readonly scheduler: LeaseScheduler;
  readonly agentWatch: AgentWatch;
  private started = false;

  constructor(
    ctx: ServerContext,
    opts: OrchestrationOptions & {
      onError?: (err: unknown, where: string) => void;
      onRefused?: AgentHubOptions['onRefused'];
    } = {},
  ) {
    this.tunables = { ...configOf(ctx).workflows, ...opts.tunables };
    const report = (where: string) => (err: unknown) => opts.onError?.(err, where);
    const providers = new ProviderRegistry(ctx.db, {
      dataDir: ctx.dataDir,
      agentCommand: opts.agentCommand ?? ctx.agentCommand,
      localUrl: () => ctx.localUrl,
      agents: () => this.hub,
    });
    this.hub = new AgentHub(ctx.db, ctx.bus, {
      onNotify: (id) => void reconfigureDependents(this.env, id).catch(report('notify')),
      onError: report('agent hub'),
      onRefused: opts.onRefused,
    });
    this.env = {
      db: ctx.db,
      bus: ctx.bus,
      dataDir: ctx.dataDir,
      publicUrl: () => {
        if (!ctx.publicUrl) throw new Error('the server URL is not known yet');
        return ctx.publicUrl;
      },
      agents: this.hub,
      providerFor: (id) => providers.providerFor(id),
      tunables: this.tunables,
    };
    this.worker = new WorkflowWorker(this.env, { onError: report('workflow worker') });
    this.scheduler = new LeaseScheduler(this.env, report('lease scheduler'));
    this.agentWatch = new AgentWatch(this.env, report('agent watch'));
  }

  /** Changes tunables before `start()` (the server passes its options here). */
  configure(tunables: Partial<Tunables> = {}): void {
    Object.assign(this.tunables, tunables);
  }

  async start(): Promise<void> {
    if (this.started) return;
    this.started = true;
    // On one replica no agent is connected at start; with several, the others' connections stay.
    if (!this.env.replicas) await resetConnections(this.env.db);
    this.hub.start(this.tunables.pingIntervalMs);
    await this.worker.start();
    await sweepPending(this.env);
    this.scheduler.start();
    this.agentWatch.start();
  }

  /**
   * Stops a workflow that another operation cancelled: the worker's run of it ends at its current
   * step, and the agents of its running scripts are told to kill them. Then the operation that
   * cancelled it (held until now) may be claimed.
   */
  async stopCancelled(cancelled: CancelledWorkflow, next: string): Promise<void> {
    for (const e of cancelled.executions) this.hub.send(e.machine, { type: 'cancel', executionId: e.id });
    await this.worker.abortRun(cancelled.workflowId);
    await releaseHold(this.env.db, next);
  }

  /** Stops claiming work, aborts running steps (their workflows resume on the next start), closes agents. */
  async stop(): Promise<void> {
    if (!this.started) return;
    this.started = false;
    this.scheduler.stop();
    this.agentWatch.stop();
    await this.worker.stop();
    this.hub.stop();
  }
}

declare module 'fastify' {
  interface FastifyInstance {
    orchestration: Orchestration;
  }
}

/** Creates the orchestration for an app and registers the agent websocket endpoint. */
export async function registerOrchestration(app: FastifyInstance, ctx: ServerContext): Promise<Orchestration> {
  const orchestration = new Orchestration(ctx, {
    onError: (err, where) => app.log.error({ err }, `${where} failed`),
    onRefused: (r) => app.log.warn(r, `agent message refused: ${r.messageType} about another machine's execution`),
  });
  app.decorate('orchestration', orchestration);
  await agentRoute(app, ctx.db, orchestration.hub);
  return orchestration;
}
