import type { EventEmitter } from 'node:events';
import type { Db } from '../store/db.js';

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
  private readonly watched = new Map<string, { user: string; workspace: string; revokers: Set<() => void> }>();
  private readonly onRevoked = () => void this.check();
  private timer: NodeJS.Timeout | undefined;
  private checking: Promise<void> | undefined;
  private again = false;
  private closed = false;

  constructor(
    private readonly db: Db,
    private readonly bus: EventEmitter,
    private readonly intervalMs: () => number,
    private readonly onError: (err: unknown) => void,
  ) {
    bus.on(MEMBERSHIP_REVOKED, this.onRevoked);
  }

  /** Number of distinct (user, workspace) pairs watched (diagnostics and tests). */
  get size(): number {
    return this.watched.size;
  }

  /** Calls `revoke` once the user is no longer a member of the workspace; returns the unwatch. */
  watch(user: string, workspace: string, revoke: () => void): () => void {
    const key = pairKey(user, workspace);
    let entry = this.watched.get(key);
    if (!entry) this.watched.set(key, (entry = { user, workspace, revokers: new Set() }));
    entry.revokers.add(revoke);
    this.schedule();
    void this.check();
    return () => {
      const current = this.watched.get(key);
      if (!current?.revokers.delete(revoke) || current.revokers.size > 0) return;
      this.watched.delete(key);
    };
  }

  /** Re-checks every watched pair now; concurrent requests coalesce into one more check. */
  check(): Promise<void> {
    if (this.checking) {
      this.again = true;
      return this.checking;
    }
    this.checking = (async () => {
      try {
        do {
          this.again = false;
          await this.checkOnce();
        } while (this.again && !this.closed);
      } catch (err) {
        this.onError(err);
      } finally {
        this.checking = undefined;
      }
    })();
    return this.checking;
  }

  private async checkOnce(): Promise<void> {
    const users = [...new Set([...this.watched.values()].map((e) => e.user))];
    for (let i = 0; i < users.length; i += CHUNK) {
      const chunk = users.slice(i, i + CHUNK);
      const rows = await this.db
        .selectFrom('memberships')
        .select(['member', 'workspace_id'])
        .where('member', 'in', chunk)
        .execute();
      const alive = new Set(rows.map((r) => pairKey(r.member, r.workspace_id)));
      const inChunk = new Set(chunk);
      for (const [key, entry] of [...this.watched]) {
        if (!inChunk.has(entry.user) || alive.has(key)) continue;
        this.watched.delete(key);
        for (const revoke of entry.revokers) revoke();
      }
    }
  }

  /** The periodic re-check runs only while something is watched. */
  private schedule(): void {
    if (this.timer || this.closed) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      if (this.watched.size === 0) return;
      void this.check().finally(() => this.schedule());
    }, this.intervalMs());
    this.timer.unref();
  }

  close(): void {
    this.closed = true;
    clearTimeout(this.timer);
    this.timer = undefined;
    this.bus.off(MEMBERSHIP_REVOKED, this.onRevoked);
    this.watched.clear();
  }
}
