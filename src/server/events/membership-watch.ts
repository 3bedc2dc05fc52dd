import type { EventEmitter } from 'node:events';
import type { Db } from '../store/db.js';
import { inChunks, StoreWatch } from './store-watch.js';

/** Bus event emitted after a change that removes memberships commits (payload: the workspace id). */
export const MEMBERSHIP_REVOKED = 'membership.revoked';

/** Tells the live sockets that members may have left a workspace; call only after the commit. */
export function announceMembershipRevoked(bus: EventEmitter, workspace: string): void {
  bus.emit(MEMBERSHIP_REVOKED, workspace);
}

/** Users checked per query. */
const CHUNK = 500;

const pairKey = (user: string, workspace: string) => `${user}\n${workspace}`;

/**
 * Long-lived sockets scoped to a workspace, by (user, workspace). Once the user is no longer a
 * member (removed from the workspace, the user or the workspace deleted), its sockets are closed:
 * at once when a route announces the change on the bus, and by a periodic re-check (the fallback
 * for a change made on another replica). A check is one query per {@link CHUNK} distinct users.
 */
export class MembershipWatch {
  private readonly store: StoreWatch<{ user: string; workspace: string }>;

  constructor(db: Db, bus: EventEmitter, intervalMs: () => number, onError: (err: unknown) => void) {
    this.store = new StoreWatch({
      bus,
      event: MEMBERSHIP_REVOKED,
      intervalMs,
      onError,
      alive: (entries) =>
        inChunks([...new Set(entries.map(([, e]) => e.user))], CHUNK, async (users) =>
          (
            await db.selectFrom('memberships').select(['member', 'workspace_id']).where('member', 'in', users).execute()
          ).map((r) => pairKey(r.member, r.workspace_id)),
        ),
    });
  }

  /** Number of distinct (user, workspace) pairs watched (diagnostics and tests). */
  get size(): number {
    return this.store.size;
  }

  /** Calls `revoke` once the user is no longer a member of the workspace; returns the unwatch. */
  watch(user: string, workspace: string, revoke: () => void): () => void {
    return this.store.watch(pairKey(user, workspace), { user, workspace }, revoke);
  }

  /** Re-checks every watched pair now. */
  check(): Promise<void> {
    return this.store.check();
  }

  close(): void {
    this.store.close();
  }
}
