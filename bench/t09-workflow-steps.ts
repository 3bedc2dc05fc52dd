/**
 * T09 (issue 16): durable workflow step transitions per second, against raw SQLite single-row
 * transactions per second measured in the same run on the same kind of store file (WAL,
 * synchronous=NORMAL, as the server opens it). Prints ONE JSON line.
 *
 * Target side: the real engine (WorkflowWorker → claim with a lease → run a step → commit its
 * result, the next step and its events in one transaction) over `openSqliteStore`, with steps that
 * do no work, so the figure is the engine's own cost per durable step. Baseline: one `INSERT` of a
 * small row per transaction through better-sqlite3 directly, the cheapest durable write there is.
 * Target: at least 20 % of raw and at least 5,000 steps/s.
 *
 *   node --import tsx bench/t09-workflow-steps.ts    (T09_WORKFLOWS, T09_STEPS to resize)
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { openSqliteStore } from '../src/server/store/db.js';
import { engineRate } from './lib/engine-rate.js';
import { machineInfo, round } from './lib/ratio.js';

const WORKFLOWS = Number(process.env.T09_WORKFLOWS ?? 400);
const STEPS = Number(process.env.T09_STEPS ?? 25);
const RAW_ROWS = Number(process.env.T09_RAW_ROWS ?? 20_000);
const MIN_RATIO = 0.2;
const MIN_RATE = 5000;

function rawRate(dir: string): number {
  const db = new Database(join(dir, 'raw.db'));
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  db.exec('drop table if exists t');
  db.exec('create table t (id integer primary key, workflow text not null, step integer not null, result text)');
  const insert = db.prepare('insert into t (workflow, step, result) values (?, ?, ?)');
  const one = db.transaction((i: number) => insert.run('wf', i, '{"ok":true}'));
  for (let i = 0; i < 1000; i++) one(i);
  const start = performance.now();
  for (let i = 0; i < RAW_ROWS; i++) one(i);
  const rate = RAW_ROWS / ((performance.now() - start) / 1000);
  db.close();
  return rate;
}

/** The engine over a store file the server would open, at the server's concurrency. */
async function engineOnSqlite(dir: string) {
  const db = await openSqliteStore(join(dir, 'ebcli.db'));
  try {
    return await engineRate(db, { workflows: WORKFLOWS, steps: STEPS });
  } finally {
    await db.destroy();
  }
}

const dir = mkdtempSync(join(tmpdir(), 'ebcli-t09-'));
try {
  // Raw before and after the engine run, so both see the same machine load on average.
  const before = rawRate(dir);
  const engine = await engineOnSqlite(dir);
  const raw = (before + rawRate(dir)) / 2;
  const ratio = engine.rate / raw;
  process.stdout.write(
    `${JSON.stringify({
      target: 'T09 workflow step transitions/s vs raw SQLite single-row transactions/s',
      value: Math.round(engine.rate),
      unit: 'steps/s',
      baseline: Math.round(raw),
      ratio: round(ratio),
      limit: { ratio: MIN_RATIO, rate: MIN_RATE },
      pass: ratio >= MIN_RATIO && engine.rate >= MIN_RATE,
      steps: engine.steps,
      seconds: round(engine.seconds),
      machine: machineInfo(),
    })}\n`,
  );
} finally {
  rmSync(dir, { recursive: true, force: true });
}
