/**
 * Flap detection as Nagios and Sensu do it: over the last {@link HISTORY} results, count the state
 * changes, newer changes weighing more (0.8 for the oldest transition up to 1.2 for the newest), as
 * a percentage of the possible changes. A check starts flapping when that percentage reaches the high
 * threshold and stops when it falls below the low one.
 */
export const HISTORY = 21;

export function percentStateChange(history: number[]): number {
  const h = history.slice(-HISTORY);
  if (h.length < 2) return 0;
  const transitions = h.length - 1;
  let weighted = 0;
  for (let i = 1; i < h.length; i++) {
    if (h[i] !== h[i - 1]) weighted += 0.8 + (0.4 * (i - 1)) / Math.max(1, transitions - 1);
  }
  return (weighted / (HISTORY - 1)) * 100;
}

export interface FlapThresholds {
  low: number;
  high: number;
}

export const DEFAULT_FLAP: FlapThresholds = { low: 20, high: 40 };

/** Whether the check is flapping after this history, given whether it was before. */
export function isFlapping(history: number[], wasFlapping: boolean, t: FlapThresholds = DEFAULT_FLAP): boolean {
  const pct = percentStateChange(history);
  return wasFlapping ? pct >= t.low : pct >= t.high;
}
