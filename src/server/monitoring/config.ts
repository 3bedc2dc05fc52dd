import { parseDurationMs } from '../events/config.js';

/** Tunables of the monitoring side; read once from the environment when the app is built. */
export interface MonitoringTunables {
  /** Raw samples are kept this long (EBCLI_METRICS_RAW_RETENTION, default 24h). */
  rawRetentionMs: number;
  /** Minute roll-ups are kept this long (EBCLI_METRICS_MINUTE_RETENTION, default 7d). */
  minuteRetentionMs: number;
  /** Hour roll-ups are kept this long (EBCLI_METRICS_HOUR_RETENTION, default 400d). */
  hourRetentionMs: number;
  /** How often roll-ups and pruning run (EBCLI_METRICS_ROLLUP_INTERVAL, default 60s). */
  rollupIntervalMs: number;
  /** Signed Watcher frames must be sent within this of the receiver's clock (EBCLI_WATCHER_TOLERANCE, 60s). */
  watcherToleranceMs: number;
  /** How often Watchers send a keepalive (EBCLI_WATCHER_KEEPALIVE, 20s). */
  keepaliveMs: number;
  /** A Watcher silent this long opens a CRITICAL keepalive alert (EBCLI_WATCHER_KEEPALIVE_TIMEOUT, 120s). */
  keepaliveTimeoutMs: number;
}

function duration(env: NodeJS.ProcessEnv, name: string, fallback: number): number {
  const raw = env[name];
  const value = raw === undefined ? undefined : parseDurationMs(raw);
  return value !== undefined && value > 0 ? value : fallback;
}

export function monitoringTunables(env: NodeJS.ProcessEnv = process.env): MonitoringTunables {
  return {
    rawRetentionMs: duration(env, 'EBCLI_METRICS_RAW_RETENTION', 24 * 3_600_000),
    minuteRetentionMs: duration(env, 'EBCLI_METRICS_MINUTE_RETENTION', 7 * 86_400_000),
    hourRetentionMs: duration(env, 'EBCLI_METRICS_HOUR_RETENTION', 400 * 86_400_000),
    rollupIntervalMs: duration(env, 'EBCLI_METRICS_ROLLUP_INTERVAL', 60_000),
    watcherToleranceMs: duration(env, 'EBCLI_WATCHER_TOLERANCE', 60_000),
    keepaliveMs: duration(env, 'EBCLI_WATCHER_KEEPALIVE', 20_000),
    keepaliveTimeoutMs: duration(env, 'EBCLI_WATCHER_KEEPALIVE_TIMEOUT', 120_000),
  };
}
