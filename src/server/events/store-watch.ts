import type { EventEmitter } from 'node:events';

export interface StoreWatchOptions<E> {
  bus: EventEmitter;
  /** Bus event after which every watched entry is re-checked at once (a route announced a change). */
  event: string;
  /** The periodic re-check's interval: the fallback for changes made on another replica or outside the routes. */
  intervalMs: () => number;
  onError: (err: unknown) => void;
  /** The keys among `entries` that still hold in the store. */
  alive: (entries: [string, E][]) => Promise<Set<string>>;
}

/**
 * Long-lived sockets that stay open while something holds in the store (a token exists, a user is
 * a member of a workspace): `watch(key, entry, revoke)` calls `revoke` once `alive` no longer
 * returns the key. Checks run at once when the bus announces a change, and periodically while
 * anything is watched; concurrent requests coalesce into one more check. Only what a check looked
 * at can be revoked by it (an entry watched meanwhile waits for the next check).
 */
export class StoreWatch<E> {
  private readonly watched = new Map<string, { entry: E; revokers: Set<() => void> }>();
  private readonly onAnnounced = () => void this.check();
  private timer: NodeJS.Timeout | undefined;
  private checking: Promise<void> | undefined;
  private again = false;
  private closed = false;

  constructor(private readonly opts: StoreWatchOptions<E>) {
    opts.bus.on(opts.event, this.onAnnounced);
  }

  /** Number of distinct keys watched (diagnostics and tests). */
  get size(): number {
    return this.watched.size;
  }

  /** Watches `key` (checked at once too: it may have changed since the socket authenticated); returns the unwatch. */
  watch(key: string, entry: E, revoke: () => void): () => void {
    let watched = this.watched.get(key);
    if (!watched) this.watched.set(key, (watched = { entry, revokers: new Set() }));
    watched.revokers.add(revoke);
    this.schedule();
    void this.check();
    return () => {
      const current = this.watched.get(key);
      if (!current?.revokers.delete(revoke) || current.revokers.size > 0) return;
      this.watched.delete(key);
    };
  }

  /** Re-checks every watched key now; concurrent requests coalesce into one more check. */
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
        this.opts.onError(err);
      } finally {
        this.checking = undefined;
      }
    })();
    return this.checking;
  }

  private async checkOnce(): Promise<void> {
    const seen = [...this.watched].map(([key, w]) => [key, w.entry] as [string, E]);
    if (!seen.length) return;
    const alive = await this.opts.alive(seen);
    for (const [key] of seen) {
      const current = this.watched.get(key);
      if (!current || alive.has(key)) continue;
      this.watched.delete(key);
      for (const revoke of current.revokers) revoke();
    }
  }

  /** The periodic re-check runs only while something is watched. */
  private schedule(): void {
    if (this.timer || this.closed) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      if (this.watched.size === 0) return;
      void this.check().finally(() => this.schedule());
    }, this.opts.intervalMs());
    this.timer.unref();
  }

  close(): void {
    this.closed = true;
    clearTimeout(this.timer);
    this.timer = undefined;
    this.opts.bus.off(this.opts.event, this.onAnnounced);
    this.watched.clear();
  }
}

/** Runs `query` over `items` in chunks of `size` (bounded statements) and unions the results. */
export async function inChunks<T>(
  items: T[],
  size: number,
  query: (chunk: T[]) => Promise<string[]>,
): Promise<Set<string>> {
  const out = new Set<string>();
  for (let i = 0; i < items.length; i += size) for (const k of await query(items.slice(i, i + size))) out.add(k);
  return out;
}
