import type { EventEmitter } from 'node:events';
import type { Db } from '../store/db.js';
import { inChunks, StoreWatch } from './store-watch.js';

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
  private readonly store: StoreWatch<null>;

  constructor(db: Db, bus: EventEmitter, intervalMs: () => number, onError: (err: unknown) => void) {
    this.store = new StoreWatch<null>({
      bus,
      event: TOKEN_REVOKED,
      intervalMs,
      onError,
      alive: (entries) =>
        inChunks(
          entries.map(([hash]) => hash),
          CHUNK,
          async (hashes) =>
            (await db.selectFrom('tokens').select('hash').where('hash', 'in', hashes).execute()).map((r) => r.hash),
        ),
    });
  }

  /** Number of distinct tokens watched (diagnostics and tests). */
  get size(): number {
    return this.store.size;
  }

  /**
   * Calls `revoke` once the token with this hash no longer exists. The token is checked at once
   * too (it may have been deleted between authentication and the upgrade). Returns the unwatch.
   */
  watch(tokenHash: string, revoke: () => void): () => void {
    return this.store.watch(tokenHash, null, revoke);
  }

  /** Re-checks every watched token now. */
  check(): Promise<void> {
    return this.store.check();
  }

  close(): void {
    this.store.close();
  }
}
