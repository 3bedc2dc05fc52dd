/**
 * Tunables of the event log and its tails (quality.md A1 table). Read once from the environment
 * when the app is built; tests shrink them by environment or by changing the returned object,
 * which the event log reads on every use.
 */
export interface EventTunables {
  /** Events older than this are pruned (EBCLI_EVENTS_MAX_AGE, default 24h). */
  retentionMaxAgeMs: number;
  /** At most this many events are kept per stream (EBCLI_EVENTS_MAX_EVENTS, default 1,000,000). */
  retentionMaxEvents: number;
  /** How often the pruning job runs (EBCLI_EVENTS_PRUNE_INTERVAL, default 60s). */
  pruneIntervalMs: number;
  /**
   * ws ping interval P; a peer with no pong by the next ping is terminated
   * (EBCLI_WS_PING_INTERVAL, else EBCLI_PING_INTERVAL_MS, default 20s).
   */
  pingIntervalMs: number;
  /** Heartbeat frames carrying the head seq (EBCLI_TAIL_HEARTBEAT, default 10s). */
  heartbeatMs: number;
  /** A tail whose send buffer passes this many bytes is cut off (EBCLI_TAIL_MAX_BUFFERED, default 4 MiB). */
  maxBufferedBytes: number;
  /**
   * How long a tail that is closed (cut off as a slow consumer, or its token revoked) gets to read
   * its close frame before its socket is destroyed (EBCLI_TAIL_CLOSE_GRACE, default 2s).
   */
  closeGraceMs: number;
  /** Safety-net re-read of a stream with tails, for wake-ups that never came (EBCLI_TAIL_POLL, default 1s). */
  pollMs: number;
  /** Events read from the store per query (and per `events` frame at most). */
  batchLimit: number;
  /**
   * Re-check of the tokens open tails were authenticated with, a fallback to the notice the token
   * route sends on revoke (EBCLI_TAIL_TOKEN_RECHECK, default 2s; quality.md A1 allows 5 s).
   */
  tokenRecheckMs: number;
}

const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** `500ms`, `30s`, `5m`, `24h`, `7d`, or a bare number of milliseconds. */
export function parseDurationMs(text: string): number | undefined {
  const m = /^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)?\s*$/.exec(text);
  if (!m) return undefined;
  return Math.round(Number(m[1]) * UNIT_MS[m[2] ?? 'ms']!);
}

function duration(env: NodeJS.ProcessEnv, name: string, fallback: number): number {
  const raw = env[name];
  const value = raw === undefined ? undefined : parseDurationMs(raw);
  return value !== undefined && value > 0 ? value : fallback;
}

function count(env: NodeJS.ProcessEnv, name: string, fallback: number): number {
  const value = Number(env[name]);
  return Number.isInteger(value) && value > 0 ? value : fallback;
}

export function eventTunables(env: NodeJS.ProcessEnv = process.env): EventTunables {
  return {
    retentionMaxAgeMs: duration(env, 'EBCLI_EVENTS_MAX_AGE', 24 * 3_600_000),
    retentionMaxEvents: count(env, 'EBCLI_EVENTS_MAX_EVENTS', 1_000_000),
    pruneIntervalMs: duration(env, 'EBCLI_EVENTS_PRUNE_INTERVAL', 60_000),
    // The agent channel reads P from EBCLI_PING_INTERVAL_MS; tails follow it unless told otherwise.
    pingIntervalMs: duration(env, 'EBCLI_WS_PING_INTERVAL', duration(env, 'EBCLI_PING_INTERVAL_MS', 20_000)),
    heartbeatMs: duration(env, 'EBCLI_TAIL_HEARTBEAT', 10_000),
    maxBufferedBytes: count(env, 'EBCLI_TAIL_MAX_BUFFERED', 4 * 1024 * 1024),
    closeGraceMs: duration(env, 'EBCLI_TAIL_CLOSE_GRACE', 2000),
    pollMs: duration(env, 'EBCLI_TAIL_POLL', 1000),
    batchLimit: 1000,
    tokenRecheckMs: duration(env, 'EBCLI_TAIL_TOKEN_RECHECK', 2000),
  };
}
