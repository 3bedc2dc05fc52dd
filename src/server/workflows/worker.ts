import { WORKFLOW_CREATED } from './announce.js';
import { runWorkflow, type StepRunner } from './engine.js';
import type { EngineEnv } from './env.js';
import { claimNext, newOwnerId, reclaimDeadOwners, releaseLease, renewLease } from './leases.js';
import type { Workflow } from './types.js';

export { announceWorkflow, WORKFLOW_CREATED } from './announce.js';

interface Running {
  abort: AbortController;
  done: Promise<void>;
}

/**
 * Claims runnable workflows (new ones, ones whose lease expired, ones left by a dead process)
 * and runs up to `concurrency` of them at once, renewing each lease every third of its length. A
 * workflow cancelled meanwhile (force terminate) is aborted at its current step (`abortRun`).
 */
export class WorkflowWorker {
  readonly owner = newOwnerId();
  private readonly running = new Map<string, Running>();
  private stopped = true;
  private pumping = false;
  private again = false;
  private poll: NodeJS.Timeout | undefined;
  private readonly onCreated = () => this.wake();

  constructor(
    private readonly env: EngineEnv,
    private readonly opts: { runner?: StepRunner; onError?: (err: unknown, wf?: Workflow) => void } = {},
  ) {}

  async start(): Promise<void> {
    this.stopped = false;
    await reclaimDeadOwners(this.env.db);
    this.env.bus.on(WORKFLOW_CREATED, this.onCreated);
    this.poll = setInterval(() => this.wake(), this.env.tunables.pollMs);
    this.poll.unref();
    this.wake();
  }

  /** Ids of the workflows this worker runs right now. */
  get active(): string[] {
    return [...this.running.keys()];
  }

  wake(): void {
    if (this.stopped) return;
    if (this.pumping) {
      this.again = true;
      return;
    }
    this.pumping = true;
    void this.pump()
      .catch((err) => this.opts.onError?.(err))
      .finally(() => {
        this.pumping = false;
        if (this.again) {
          this.again = false;
          this.wake();
        }
      });
  }

  private async pump(): Promise<void> {
    const { db, tunables } = this.env;
    while (!this.stopped && this.running.size < tunables.concurrency) {
      const wf = await claimNext(db, this.owner, tunables.leaseMs, this.active);
      if (!wf) return;
      if (this.stopped) {
        await releaseLease(db, wf.id, this.owner);
        return;
      }
      this.launch(wf);
    }
  }

  private launch(wf: Workflow): void {
    const { db, tunables } = this.env;
    const abort = new AbortController();
    const renew = setInterval(() => {
      renewLease(db, wf.id, this.owner, tunables.leaseMs)
        .then((ok) => {
          if (!ok) abort.abort();
        })
        .catch(() => undefined);
    }, tunables.leaseMs / 3);
    const done = runWorkflow(this.env, wf, this.owner, abort.signal, this.opts.runner)
      .then(async (end) => {
        if (end === 'aborted') await releaseLease(db, wf.id, this.owner);
      })
      .catch((err) => this.opts.onError?.(err, wf))
      .finally(() => {
        clearInterval(renew);
        this.running.delete(wf.id);
        this.wake();
      });
    this.running.set(wf.id, { abort, done });
  }

  /** Aborts one running workflow at its current step (it was cancelled) and waits until it has stopped. */
  async abortRun(id: string): Promise<void> {
    const run = this.running.get(id);
    if (!run) return;
    run.abort.abort();
    await run.done;
  }

  /** Stops claiming, aborts running workflows at their current step and gives their leases back. */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    clearInterval(this.poll);
    this.env.bus.off(WORKFLOW_CREATED, this.onCreated);
    const all = [...this.running.values()];
    for (const r of all) r.abort.abort();
    await Promise.all(all.map((r) => r.done));
  }
}
