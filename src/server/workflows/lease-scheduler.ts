import { parseDoc } from '../store/docs.js';
import type { InstanceLease } from '../instances/deploy-request.js';
import { getInstanceForUpdate, updateInstance, type InstanceDoc } from '../instances/store.js';
import { parseTimestamp } from '../../shared/time.js';
import { beginOperation } from './begin.js';
import type { EngineEnv } from './env.js';
import { addActivity } from './store/activities.js';
import { openWorkflowOf } from './store/workflows.js';
import { conditionOf, transitionProblem } from './transitions.js';
import { announceWorkflow } from './worker.js';
import { appendEvents, type NewEvent } from '../events/log.js';

export const LEASE_USER = 'lease';

const due = (lease: InstanceLease | undefined, now: number): boolean => {
  if (!lease || lease.released) return false;
  const at = parseTimestamp(lease.expire);
  return at !== undefined && at <= now;
};

/**
 * Fires instance leases (`lease {expire, operation}`): when one expires, the instance's shutdown or
 * terminate starts and the lease is marked `released` in the same transaction, so it fires once,
 * across restarts. A busy instance is retried on the next tick; an impossible transition (already
 * stopped or terminated) just releases the lease.
 */
export class LeaseScheduler {
  private timer: NodeJS.Timeout | undefined;
  private ticking = false;

  constructor(
    private readonly env: EngineEnv,
    private readonly onError?: (err: unknown) => void,
  ) {}

  start(): void {
    // A round that cannot read the store (PostgreSQL restarting, a connection terminated) is
    // reported and retried on the next tick; it must not become an unhandled rejection, which
    // would end the server process.
    const round = () => void this.tick().catch((err: unknown) => this.onError?.(err));
    this.timer ??= setInterval(round, this.env.tunables.schedulerMs);
    this.timer.unref();
    round();
  }

  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }

  /** Fires every due lease once; returns the ids of the instances it acted on. */
  async tick(now = Date.now()): Promise<string[]> {
    if (this.ticking) return [];
    this.ticking = true;
    try {
      // A store that cannot be reached (PostgreSQL restarting) fails this round only: the next tick
      // tries again. The error must not escape: ticks run unawaited, and a rejection would end the process.
      const rows = await this.env.db
        .selectFrom('instances')
        .select(['id', 'doc'])
        .where('doc', 'like', '%"lease":{%')
        .execute()
        .catch((err: unknown) => {
          this.onError?.(err);
          return [];
        });
      const fired: string[] = [];
      for (const r of rows) {
        if (!due(parseDoc<InstanceDoc>(r.doc).lease as InstanceLease | undefined, now)) continue;
        try {
          if (await this.fire(r.id, now)) fired.push(r.id);
        } catch (err) {
          this.onError?.(err);
        }
      }
      return fired;
    } finally {
      this.ticking = false;
    }
  }

  private async fire(id: string, now: number): Promise<boolean> {
    const { db, bus } = this.env;
    const result = await db.transaction().execute(async (trx) => {
      const doc = await getInstanceForUpdate(trx, id);
      const lease = doc?.lease as InstanceLease | undefined;
      if (!doc || !lease || !due(lease, now)) return undefined;
      if (doc.state === 'processing' || (await openWorkflowOf(trx, id))) return undefined;
      const op = lease.operation;
      const problem = transitionProblem(conditionOf(doc), op);
      let next = doc;
      const events: NewEvent[] = [];
      if (!problem) next = (await beginOperation(trx, doc, op, { username: LEASE_USER })).doc;
      await updateInstance(trx, { ...next, lease: { ...lease, released: true } });
      const text = problem
        ? `Lease expired: nothing to do (${problem}).`
        : `Lease expired: ${op === 'shutdown' ? 'shutting down' : 'terminating'} instance.`;
      await addActivity(
        trx,
        { instanceId: id, workflowId: null, workspace: doc.owner, text, level: 'info', username: LEASE_USER },
        events,
      );
      await appendEvents(trx, events);
      return { workspace: doc.owner, started: !problem };
    });
    if (!result) return false;
    bus.committed(result.workspace);
    if (result.started) announceWorkflow(bus);
    return true;
  }
}
