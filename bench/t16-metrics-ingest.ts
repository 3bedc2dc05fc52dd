/**
 * T16 (issue 14): metric samples stored per second by the monitoring store, against raw batched
 * SQLite inserts measured in the same run on the same kind of store file (WAL, synchronous=NORMAL,
 * the same table and indexes), and the latency of a 24-hour query at a 1-minute step for one
 * machine and metric. Prints ONE JSON line.
 *
 * Target side: `insertSamples` (the path check results take) through Kysely over `openSqliteStore`,
 * one transaction per batch of BATCH samples (a Watcher's submittal). Baseline: one prepared
 * better-sqlite3 INSERT per sample, BATCH per transaction. Query: `querySeries` over 24 h of raw
 * samples (10 s interval, the default raw retention is 24 h) folded into 1,440 one-minute averages.
 * Targets: ≥ 25 % of raw and ≥ 50,000 samples/s; query < 50 ms (median of QUERY_RUNS).
 *
 *   node --import tsx bench/t16-metrics-ingest.ts    (T16_MACHINES, T16_METRICS, T16_BATCH to resize)
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { openSqliteStore } from '../src/server/store/db.js';
import { insertSamples, querySeries, type Sample } from '../src/server/monitoring/metrics-store.js';
import { machineInfo, quantile, round } from './lib/ratio.js';

const MACHINES = Number(process.env.T16_MACHINES ?? 4);
const METRICS = Number(process.env.T16_METRICS ?? 3);
const BATCH = Number(process.env.T16_BATCH ?? 1000);
const INTERVAL_MS = 10_000;
const DAY = 86_400_000;
const QUERY_RUNS = 15;
const MIN_RATIO = 0.25;
const MIN_RATE = 50_000;
const MAX_QUERY_MS = 50;

const end = Math.floor(Date.now() / 60_000) * 60_000;
const start = end - DAY;

/** Every sample of the run, in the order a fleet would send them (by time, then machine). */
function samples(): Sample[] {
  const out: Sample[] = [];
  for (let ts = start; ts < end; ts += INTERVAL_MS) {
    for (let m = 0; m < MACHINES; m++) {
      for (let k = 0; k < METRICS; k++)
        out.push({ machine: `m-${m}`, metric: `metric.${k}`, ts, value: (ts / 1000) % 97 });
    }
  }
  return out;
}

function rawRate(dir: string, all: Sample[]): number {
  const db = new Database(join(dir, 'raw.db'));
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  db.exec('drop table if exists metric_samples');
  db.exec(
    'create table metric_samples (machine text not null, metric text not null, ts integer not null, value real not null)',
  );
  db.exec('create index s_series on metric_samples (machine, metric, ts)');
  db.exec('create index s_ts on metric_samples (ts)');
  const insert = db.prepare('insert into metric_samples (machine, metric, ts, value) values (?, ?, ?, ?)');
  const batch = db.transaction((rows: Sample[]) => {
    for (const r of rows) insert.run(r.machine, r.metric, r.ts, r.value);
  });
  const t0 = performance.now();
  for (let i = 0; i < all.length; i += BATCH) batch(all.slice(i, i + BATCH));
  const rate = all.length / ((performance.now() - t0) / 1000);
  db.close();
  rmSync(join(dir, 'raw.db'), { force: true });
  return rate;
}

async function storeRate(dir: string, all: Sample[]) {
  const db = await openSqliteStore(join(dir, 'ebcli.db'));
  const t0 = performance.now();
  for (let i = 0; i < all.length; i += BATCH) {
    const rows = all.slice(i, i + BATCH);
    await db.transaction().execute((trx) => insertSamples(trx, rows));
  }
  const rate = all.length / ((performance.now() - t0) / 1000);
  const times: number[] = [];
  let points = 0;
  for (let i = 0; i < QUERY_RUNS + 2; i++) {
    const q0 = performance.now();
    const series = await querySeries(db, {
      machines: ['m-0'],
      metric: 'metric.0',
      from: start,
      to: end,
      stepMs: 60_000,
      aggregate: 'avg',
      rawSince: start,
      rolledUp: { minute: 0, hour: 0 },
    });
    if (i >= 2) times.push(performance.now() - q0);
    points = series[0]?.points.length ?? 0;
  }
  await db.destroy();
  if (points !== 1440) throw new Error(`expected 1440 one-minute points, got ${points}`);
  return { rate, queryMs: quantile(times, 0.5), queryP95Ms: quantile(times, 0.95) };
}

const dir = mkdtempSync(join(tmpdir(), 'ebcli-t16-'));
try {
  const all = samples();
  const before = rawRate(dir, all);
  const store = await storeRate(dir, all);
  const raw = (before + rawRate(dir, all)) / 2;
  const ratio = store.rate / raw;
  process.stdout.write(
    `${JSON.stringify({
      target: 'T16 metric samples stored/s vs raw batched SQLite inserts/s; 24h query at 1m step',
      value: Math.round(store.rate),
      unit: 'samples/s',
      baseline: Math.round(raw),
      ratio: round(ratio),
      query_ms: round(store.queryMs),
      query_p95_ms: round(store.queryP95Ms),
      limit: { ratio: MIN_RATIO, rate: MIN_RATE, query_ms: MAX_QUERY_MS },
      pass: ratio >= MIN_RATIO && store.rate >= MIN_RATE && store.queryMs < MAX_QUERY_MS,
      samples: all.length,
      batch: BATCH,
      machine: machineInfo(),
    })}\n`,
  );
} finally {
  rmSync(dir, { recursive: true, force: true });
}
