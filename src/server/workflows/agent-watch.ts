import { AgentSupervisor } from './agent-supervision.js';
import type { EngineEnv } from './env.js';
import { expireSilentExecutions } from './execution-lease.js';

/**
 * Keeps operations able to end when agents die: on every tick (the lease scheduler's interval) it
 * restarts dead local agents, then ends `agent-lost` the executions of agents silent for longer
 * than the execution lease. The first tick runs at start.
 */
export class AgentWatch {
  private timer: NodeJS.Timeout | undefined;
  private ticking = false;
  private startedAt = Date.now();
  readonly supervisor: AgentSupervisor;

  constructor(
    private readonly env: EngineEnv,
    private readonly onError?: (err: unknown) => void,
  ) {
    this.supervisor = new AgentSupervisor(env);
  }

  start(): void {
    this.startedAt = Date.now();
    this.timer ??= setInterval(() => void this.tick(), this.env.tunables.schedulerMs);
    this.timer.unref();
    void this.tick();
  }

  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }

  /** One round; returns the machines restarted and the executions ended `agent-lost`. */
  async tick(now = Date.now()): Promise<{ restarted: string[]; lost: string[] }> {
    if (this.ticking) return { restarted: [], lost: [] };
    this.ticking = true;
    try {
      const restarted = await this.supervisor.check(now).catch((err: unknown) => {
        this.onError?.(err);
        return [];
      });
      const lost = await expireSilentExecutions(this.env, this.startedAt, now).catch((err: unknown) => {
        this.onError?.(err);
        return [];
      });
      return { restarted, lost };
    } finally {
      this.ticking = false;
    }
  }
}
