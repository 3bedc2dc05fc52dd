/**
 * Full-jitter exponential backoff ("Exponential Backoff And Jitter", AWS Architecture Blog):
 * attempt n waits a uniformly random time in `[0, min(cap, base · 2ⁿ))`. Defaults 1 s → 60 s
 * (quality.md A1 tunables), so a fleet reconnecting at once spreads over the whole window.
 */
export interface BackoffOptions {
  /** First window, in ms (default 1000). */
  baseMs?: number;
  /** Largest window, in ms (default 60 000). */
  capMs?: number;
  /** Source of randomness in [0, 1); injectable for tests. */
  random?: () => number;
}

export const DEFAULT_BACKOFF_BASE_MS = 1000;
export const DEFAULT_BACKOFF_CAP_MS = 60_000;

/** The upper bound of the wait window for attempt `attempt` (0-based). */
export function backoffWindow(attempt: number, opts: BackoffOptions = {}): number {
  const base = opts.baseMs ?? DEFAULT_BACKOFF_BASE_MS;
  const cap = opts.capMs ?? DEFAULT_BACKOFF_CAP_MS;
  // 2 ** 1024 is Infinity; clamp the exponent so the arithmetic stays finite.
  return Math.min(cap, base * 2 ** Math.min(attempt, 52));
}

/** A full-jitter delay for attempt `attempt` (0-based). */
export function fullJitterDelay(attempt: number, opts: BackoffOptions = {}): number {
  return Math.floor((opts.random ?? Math.random)() * backoffWindow(attempt, opts));
}

/** Stateful backoff: `next()` for each failed attempt, `reset()` after a success. */
export class Backoff {
  private attempts = 0;

  constructor(private readonly opts: BackoffOptions = {}) {}

  /** Number of delays handed out since the last reset. */
  get attempt(): number {
    return this.attempts;
  }

  next(): number {
    return fullJitterDelay(this.attempts++, this.opts);
  }

  reset(): void {
    this.attempts = 0;
  }
}
