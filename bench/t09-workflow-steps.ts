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
import { EventEmitter } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { EventBus } from '../src/server/events/log.js';
import { openSqliteStore, type Db } from '../src/server/store/db.js';
import { DEFAULT_TUNABLES, type EngineEnv } from '../src/server/workflows/env.js';
import { WorkflowWorker } from '../src/server/workflows/worker.js';
import { insertWorkflow } from '../src/server/workflows/store/workflows.js';
import type { StepSpec } from '../src/server/workflows/types.js';
import { newUuid } from '../src/shared/ids.js';
import { timestamp } from '../src/shared/time.js';
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

function env(db: Db): EngineEnv {
  const unreachable = async () => {
    throw new Error('no providers in this benchmark');
  };
  return {
    db,
    bus: new EventBus(),
    dataDir: '/nonexistent',
    publicUrl: () => 'https://127.0.0.1:1',
    agents: { events: new EventEmitter(), session: () => undefined, send: () => false, disconnect: () => undefined },
    providerFor: unreachable,
    tunables: { ...DEFAULT_TUNABLES, pollMs: 20 },
  };
}

async function engineRate(dir: string): Promise<{ rate: number; steps: number; seconds: number }> {
  const db = await openSqliteStore(join(dir, 'ebcli.db'));
  const plan: StepSpec[] = Array.from({ length: STEPS }, () => ({ kind: 'bindings' }));
  const ids: string[] = [];
  for (let i = 0; i < WORKFLOWS; i++) {
    const id = newUuid();
    ids.push(id);
    await insertWorkflow(db, {
      id,
      instanceId: `i-b${String(i).padStart(5, '0')}`,
      workspace: 'admin',
      operation: 'reconfigure',
      plan,
      username: 'admin',
      requestId: id,
      created: timestamp(),
    });
  }
  const worker = new WorkflowWorker(env(db), { runner: async () => ({ ok: true, result: {} }) });
  const start = performance.now();
  await worker.start();
  for (;;) {
    const open = await db
      .selectFrom('workflows')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where('state', 'in', ['pending', 'running'])
      .executeTakeFirstOrThrow();
    if (Number(open.n) === 0) break;
    await new Promise((r) => setTimeout(r, 20));
  }
  const seconds = (performance.now() - start) / 1000;
  await worker.stop();
  const steps = Number(
    (
      await db
        .selectFrom('step_results')
        .select((eb) => eb.fn.countAll<number>().as('n'))
        .executeTakeFirstOrThrow()
    ).n,
  );
  await db.destroy();
  if (steps !== WORKFLOWS * STEPS) throw new Error(`expected ${WORKFLOWS * STEPS} step results, found ${steps}`);
  return { rate: steps / seconds, steps, seconds };
}

const dir = mkdtempSync(join(tmpdir(), 'ebcli-t09-'));
try {
  // Raw before and after the engine run, so both see the same machine load on average.
  const before = rawRate(dir);
  const engine = await engineRate(dir);
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
