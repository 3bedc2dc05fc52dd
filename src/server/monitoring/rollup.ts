import type { Db } from '../store/db.js';
import type { MonitoringTunables } from './config.js';
import type { MetricRollupsTable } from './tables.js';

const MINUTE = 60_000;
const HOUR = 3_600_000;

export async function mark(db: Db, key: string): Promise<number> {
  const r = await db.selectFrom('monitoring_marks').select('value').where('key', '=', key).executeTakeFirst();
  return r?.value ?? 0;
}

async function setMark(db: Db, key: string, value: number): Promise<void> {
  await db
    .insertInto('monitoring_marks')
    .values({ key, value })
    .onConflict((oc) => oc.column('key').doUpdateSet({ value }))
    .execute();
}

function p95(values: number[]): number {
  const sorted = values.sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil(0.95 * sorted.length) - 1)]!;
}

/** Groups rows into roll-up rows of `size` ms; `last` is the value of the newest row. */
function rollRows(
  rows: {
    machine: string;
    metric: string;
    ts: number;
    value: number;
    count?: number;
    sum?: number;
    min?: number;
    max?: number;
    p95?: number;
  }[],
  size: number,
): MetricRollupsTable[] {
  const groups = new Map<string, typeof rows>();
  for (const r of rows) {
    const key = `${r.machine}\u0000${r.metric}\u0000${Math.floor(r.ts / size) * size}`;
    const g = groups.get(key);
    if (g) g.push(r);
    else groups.set(key, [r]);
  }
  const out: MetricRollupsTable[] = [];
  for (const [key, g] of groups) {
    const [machine, metric, bucket] = key.split('\u0000') as [string, string, string];
    const newest = g.reduce((a, r) => (r.ts >= a.ts ? r : a));
    out.push({
      machine,
      metric,
      bucket: Number(bucket),
      count: g.reduce((s, r) => s + (r.count ?? 1), 0),
      sum: g.reduce((s, r) => s + (r.sum ?? r.value), 0),
      min: Math.min(...g.map((r) => r.min ?? r.value)),
      max: Math.max(...g.map((r) => r.max ?? r.value)),
      last: newest.value,
      p95: p95(g.map((r) => r.p95 ?? r.value)),
    });
  }
  return out;
}

/**
 * Writes roll-up rows, 500 per transaction: a roll-up row is computed from all the rows of its
 * bucket, so writing it again after a crash gives the same result, and committing in small
 * transactions lets check results in between (one transaction for a minute of a 1,000-Watcher
 * fleet held the store for up to a second: quality.md L2).
 */
async function upsertRollups(db: Db, table: 'metric_minute' | 'metric_hour', rows: MetricRollupsTable[]) {
  for (let i = 0; i < rows.length; i += 500) {
    await new Promise((r) => setImmediate(r));
    await db
      .insertInto(table)
      .values(rows.slice(i, i + 500))
      .onConflict((oc) =>
        oc.columns(['machine', 'metric', 'bucket']).doUpdateSet((eb) => ({
          count: eb.ref('excluded.count'),
          sum: eb.ref('excluded.sum'),
          min: eb.ref('excluded.min'),
          max: eb.ref('excluded.max'),
          last: eb.ref('excluded.last'),
          p95: eb.ref('excluded.p95'),
        })),
      )
      .execute();
  }
}

/**
 * Rolls the complete minutes (up to `now` less a minute of grace for late samples) into minute
 * roll-ups and the complete hours into hour roll-ups, then prunes what is past its retention.
 * A restarted server continues from the stored watermarks.
 */
export async function rollUp(db: Db, t: MonitoringTunables, now = Date.now()): Promise<void> {
  const minuteTo = Math.floor((now - MINUTE) / MINUTE) * MINUTE;
  let minuteFrom = await mark(db, 'rollup.minute');
  if (minuteFrom === 0) {
    const first = await db
      .selectFrom('metric_samples')
      .select((eb) => eb.fn.min('ts').as('ts'))
      .executeTakeFirst();
    minuteFrom = first?.ts == null ? minuteTo : Math.floor(Number(first.ts) / MINUTE) * MINUTE;
  }
  for (let from = minuteFrom; from < minuteTo; from += HOUR) {
    const to = Math.min(from + HOUR, minuteTo);
    const rows = await db
      .selectFrom('metric_samples')
      .select(['machine', 'metric', 'ts', 'value'])
      .where('ts', '>=', from)
      .where('ts', '<', to)
      .execute();
    await upsertRollups(db, 'metric_minute', rollRows(rows, MINUTE));
    await setMark(db, 'rollup.minute', to);
  }
  const hourTo = Math.floor(minuteTo / HOUR) * HOUR;
  const hourFrom = (await mark(db, 'rollup.hour')) || Math.floor(minuteFrom / HOUR) * HOUR;
  if (hourFrom < hourTo) {
    const rows = await db
      .selectFrom('metric_minute')
      .selectAll()
      .where('bucket', '>=', hourFrom)
      .where('bucket', '<', hourTo)
      .execute();
    const asRows = rows.map((r) => ({ ...r, ts: r.bucket, value: r.last }));
    await upsertRollups(db, 'metric_hour', rollRows(asRows, HOUR));
    await setMark(db, 'rollup.hour', hourTo);
  }
  await db
    .deleteFrom('metric_samples')
    .where('ts', '<', now - t.rawRetentionMs)
    .execute();
  await db
    .deleteFrom('metric_minute')
    .where('bucket', '<', now - t.minuteRetentionMs)
    .execute();
  await db
    .deleteFrom('metric_hour')
    .where('bucket', '<', now - t.hourRetentionMs)
    .execute();
}

/** Runs {@link rollUp} every `rollupIntervalMs` until stopped; errors go to `onError`. */
export function startRollups(db: Db, t: MonitoringTunables, onError: (err: unknown) => void): () => Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<unknown> | undefined;
  let stopped = false;
  const schedule = () => {
    if (stopped) return;
    timer = setTimeout(() => {
      running = rollUp(db, t)
        .catch(onError)
        .finally(() => {
          running = undefined;
          schedule();
        });
    }, t.rollupIntervalMs);
    timer.unref();
  };
  schedule();
  return async () => {
    stopped = true;
    clearTimeout(timer);
    await running;
  };
}
