import type { Transaction } from 'kysely';
import type { Db } from '../store/db.js';
import type { Database } from '../store/schema.js';

type Conn = Db | Transaction<Database>;

export interface Sample {
  machine: string;
  metric: string;
  /** Epoch milliseconds. */
  ts: number;
  value: number;
}

/** Rows per INSERT: 4 columns, well under SQLite's bound-variable limit. */
const CHUNK = 2000;

/** Appends raw samples (roll-ups are computed later from them: see `rollup.ts`). */
export async function insertSamples(db: Conn, samples: Sample[]): Promise<void> {
  for (let i = 0; i < samples.length; i += CHUNK) {
    await db
      .insertInto('metric_samples')
      .values(samples.slice(i, i + CHUNK))
      .execute();
  }
}

export type Aggregate = 'avg' | 'min' | 'max' | 'last' | 'p95';
export const AGGREGATES: Aggregate[] = ['avg', 'min', 'max', 'last', 'p95'];

export interface SeriesQuery {
  machines: string[];
  metric?: string;
  from: number;
  to: number;
  stepMs: number;
  aggregate: Aggregate;
  /** Oldest raw sample still kept (epoch ms). */
  rawSince: number;
  /** Roll-ups cover everything before these (epoch ms). */
  rolledUp: { minute: number; hour: number };
}

export interface Point {
  ts: number;
  value: number;
}

export interface Series {
  machine: string;
  metric: string;
  points: Point[];
}

function percentile95(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil(0.95 * sorted.length) - 1)]!;
}

interface Row {
  machine: string;
  metric: string;
  ts: number;
  count: number;
  sum: number;
  min: number;
  max: number;
  last: number;
  p95: number;
}

/** Folds rows (raw samples as one-sample rows, or roll-ups) into buckets of `stepMs`. */
function fold(rows: Row[], q: SeriesQuery): Series[] {
  const series = new Map<string, Map<number, Row[]>>();
  for (const r of rows) {
    const key = `${r.machine}\u0000${r.metric}`;
    let buckets = series.get(key);
    if (!buckets) series.set(key, (buckets = new Map()));
    const b = Math.floor(r.ts / q.stepMs) * q.stepMs;
    const list = buckets.get(b);
    if (list) list.push(r);
    else buckets.set(b, [r]);
  }
  const out: Series[] = [];
  for (const [key, buckets] of series) {
    const [machine, metric] = key.split('\u0000') as [string, string];
    const points: Point[] = [];
    for (const [ts, list] of [...buckets].sort((a, b) => a[0] - b[0])) {
      let value: number;
      switch (q.aggregate) {
        case 'avg':
          value = list.reduce((s, r) => s + r.sum, 0) / list.reduce((s, r) => s + r.count, 0);
          break;
        case 'min':
          value = Math.min(...list.map((r) => r.min));
          break;
        case 'max':
          value = Math.max(...list.map((r) => r.max));
          break;
        case 'last':
          value = list.reduce((a, r) => (r.ts >= a.ts ? r : a)).last;
          break;
        case 'p95':
          // Exact over raw samples; over roll-ups, the 95th percentile of the buckets' own p95s.
          value = percentile95(list.map((r) => r.p95));
          break;
      }
      points.push({ ts, value });
    }
    out.push({ machine, metric, points });
  }
  return out.sort((a, b) => a.machine.localeCompare(b.machine) || a.metric.localeCompare(b.metric));
}

/**
 * Reads a series set. Raw samples serve the whole range when they still cover it or the step is
 * under a minute (exact for every aggregate); otherwise the roll-ups (hour ones for steps of an
 * hour or more) serve what they cover and raw samples the rest. Buckets align to the epoch.
 */
export async function querySeries(db: Conn, q: SeriesQuery): Promise<Series[]> {
  if (!q.machines.length) return [];
  const rows: Row[] = [];
  const hourly = q.stepMs >= 3_600_000;
  const rolledTo = hourly ? q.rolledUp.hour : q.rolledUp.minute;
  const split = q.stepMs < 60_000 || q.from >= q.rawSince ? q.from : Math.min(Math.max(q.from, rolledTo), q.to);
  if (split > q.from) {
    let sel = db
      .selectFrom(hourly ? 'metric_hour' : 'metric_minute')
      .select(['machine', 'metric', 'bucket as ts', 'count', 'sum', 'min', 'max', 'last', 'p95'])
      .where('machine', 'in', q.machines)
      .where('bucket', '>=', q.from)
      .where('bucket', '<', split);
    if (q.metric) sel = sel.where('metric', '=', q.metric);
    rows.push(...(await sel.execute()));
  }
  if (split < q.to) {
    let sel = db
      .selectFrom('metric_samples')
      .select(['machine', 'metric', 'ts', 'value'])
      .where('machine', 'in', q.machines)
      .where('ts', '>=', split)
      .where('ts', '<', q.to);
    if (q.metric) sel = sel.where('metric', '=', q.metric);
    for (const r of await sel.execute()) {
      const v = r.value;
      rows.push({ machine: r.machine, metric: r.metric, ts: r.ts, count: 1, sum: v, min: v, max: v, last: v, p95: v });
    }
  }
  return fold(rows, q);
}

/** Metric names the machines have reported, sorted. */
export async function metricNames(db: Conn, machines: string[]): Promise<string[]> {
  if (!machines.length) return [];
  const rows = await db
    .selectFrom('metric_samples')
    .select('metric')
    .distinct()
    .where('machine', 'in', machines)
    .union(db.selectFrom('metric_minute').select('metric').distinct().where('machine', 'in', machines))
    .execute();
  return [...new Set(rows.map((r) => r.metric))].sort();
}
