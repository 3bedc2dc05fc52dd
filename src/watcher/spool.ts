import type { WatcherResult } from '../shared/monitoring/watcher-protocol.js';
import type { StateDir } from './state.js';

/**
 * Results waiting for the server, on disk so they survive a restart, bounded to `max` entries:
 * past the bound the oldest are dropped and counted (NL-6: the count is reported to the server).
 */
export class Spool {
  private items: WatcherResult[];

  constructor(
    private readonly state: StateDir,
    private readonly max: number,
    private readonly onDrop: (n: number) => void,
  ) {
    this.items = state.readSpool();
  }

  get size(): number {
    return this.items.length;
  }

  push(...results: WatcherResult[]): void {
    this.items.push(...results);
    this.trim();
  }

  /** Puts results that were in flight back in front (the connection dropped before their ack). */
  unshift(results: WatcherResult[]): void {
    this.items.unshift(...results);
    this.trim();
  }

  take(n: number): WatcherResult[] {
    const out = this.items.splice(0, n);
    this.state.writeSpool(this.items);
    return out;
  }

  private trim(): void {
    const over = this.items.length - this.max;
    if (over > 0) {
      this.items.splice(0, over);
      this.onDrop(over);
    }
    this.state.writeSpool(this.items);
  }
}
