import type { EventEmitter } from 'node:events';
import type { Db } from '../store/db.js';

/** Bus event emitted after a token delete commits (payload: the revoked token's id). */
export const TOKEN_REVOKED = 'token.revoked';

/** Tells the live sockets that a token is gone; call only after the delete has committed. */
export function announceTokenRevoked(bus: EventEmitter, tokenId: string): void {
  bus.emit(TOKEN_REVOKED, tokenId);
}

/** Hashes checked per query (SQLite allows far more bound values; this keeps statements small). */
const CHUNK = 500;

/**
 * Long-lived sockets authenticated with a user token, by token hash. When a token is revoked the
 * sockets opened with it are closed: at once when the token route announces the delete on the bus,
 * and by a periodic re-check of every watched hash (a fallback for deletes that bypass the route,
 * such as a removed user). A check is one query per {@link CHUNK} distinct tokens, however many
 * sockets share them.
 */
export class CredentialWatch {
  private readonly watched = new Map<string, Set<() => void>>();
  private readonly onRevoked = () => this.check();
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
    bus.on(TOKEN_REVOKED, this.onRevoked);
  }

  /** Number of distinct tokens watched (diagnostics and tests). */
  get size(): number {
    return this.watched.size;
  }

  /**
   * Calls `revoke` once the token with this hash no longer exists. The token is checked at once
   * too (it may have been deleted between authentication and the upgrade). Returns the unwatch.
   */
  watch(tokenHash: string, revoke: () => void): () => void {
    let set = this.watched.get(tokenHash);
    if (!set) this.watched.set(tokenHash, (set = new Set()));
    set.add(revoke);
    this.schedule();
    this.check();
    return () => {
      const current = this.watched.get(tokenHash);
      if (!current?.delete(revoke) || current.size > 0) return;
      this.watched.delete(tokenHash);
    };
  }

  /** Re-checks every watched token now; concurrent requests coalesce into one more check. */
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
    const hashes = [...this.watched.keys()];
    for (let i = 0; i < hashes.length; i += CHUNK) {
      const chunk = hashes.slice(i, i + CHUNK);
      const rows = await this.db.selectFrom('tokens').select('hash').where('hash', 'in', chunk).execute();
      const alive = new Set(rows.map((r) => r.hash));
      for (const hash of chunk) {
        if (alive.has(hash)) continue;
        const revokers = this.watched.get(hash);
        this.watched.delete(hash);
        for (const revoke of revokers ?? []) revoke();
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
    this.bus.off(TOKEN_REVOKED, this.onRevoked);
    this.watched.clear();
  }
}
