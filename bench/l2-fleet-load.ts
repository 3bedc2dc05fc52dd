/**
 * quality.md L2 (`fleet-heartbeat-load`) for the Watcher channel, at any size: N simulated Watchers
 * (one process) against one real control plane process, results every 10 s. Prints ONE JSON line
 * (bench/lib/fleet-load.ts says what is measured). Targets: lag p99 < 1 s, no false keepalive
 * alert, server memory < 50 KiB per connection, NL-6 balanced for every Watcher.
 *
 *   node --import tsx bench/l2-fleet-load.ts    (L2_WATCHERS=1000, L2_STEADY=30s; extended: 5000)
 */
import { parseDurationMs } from '../src/server/events/config.js';
import { runFleetLoad } from './lib/fleet-load.js';
import { machineInfo } from './lib/ratio.js';

const duration = (v: string | undefined, fallback: number) => (v ? (parseDurationMs(v) ?? fallback) : fallback);

const report = await runFleetLoad({
  watchers: Number(process.env.L2_WATCHERS ?? 1000),
  steadyMs: duration(process.env.L2_STEADY, 30_000),
  keepaliveMs: duration(process.env.L2_KEEPALIVE, 3_000),
  keepaliveTimeoutMs: duration(process.env.L2_KEEPALIVE_TIMEOUT, 10_000),
  intervalS: 10,
  baseline: process.env.L2_BASELINE !== '0',
  progress: (msg) => process.stderr.write(`l2: ${msg}\n`),
});
const pass =
  report.lagMs.p99 < 1000 &&
  report.falseKeepaliveAlerts.length === 0 &&
  report.controlAlertOpened &&
  report.serverKiB.perConnection.rss < 50 &&
  report.ledger.unbalanced.length === 0 &&
  report.drained;
process.stdout.write(`${JSON.stringify({ bench: 'L2-fleet-load', ...report, machine: machineInfo(), pass })}\n`);
