import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Db } from '../../src/server/store/db.js';
import { onPostgres, openTestStore } from '../helpers/store.js';
import { commitStep, type StepRunner } from '../../src/server/workflows/engine.js';
import { claimNext, LeaseLostError } from '../../src/server/workflows/leases.js';
import { WorkflowWorker } from '../../src/server/workflows/worker.js';
import { getWorkflow, insertWorkflow } from '../../src/server/workflows/store/workflows.js';
import { isUniqueViolation } from '../../src/server/workflows/store/workflows.js';
import { addWorkflow, engineEnv, sleep, untilEnded } from './engine-env.js';

let dir: string;
let file: string;
const open: Db[] = [];
const workers: WorkflowWorker[] = [];

async function store(): Promise<Db> {
  const db = await openTestStore(file);
  open.push(db);
  return db;
}

function worker(db: Db, runner: StepRunner, tunables = {}): WorkflowWorker {
  const w = new WorkflowWorker(engineEnv(db, tunables), { runner, onError: () => undefined });
  workers.push(w);
  return w;
}

const stepRows = (db: Db, id: string) =>
  db.selectFrom('step_results').select(['step', 'outcome']).where('workflow_id', '=', id).orderBy('step').execute();

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'ebcli-engine-'));
  file = join(dir, 'ebcli.db');
});
afterEach(async () => {
  for (const w of workers.splice(0)) await w.stop().catch(() => undefined);
  for (const db of open.splice(0)) await db.destroy().catch(() => undefined);
  rmSync(dir, { recursive: true, force: true });
});

describe(`workflow engine on ${onPostgres ? 'PostgreSQL' : 'SQLite'}`, () => {
  it('commits each step (result row and next step) before the next step starts', async () => {
    const db = await store();
    const id = await addWorkflow(db, 4);
    const seen: { index: number; nextStep: number; results: number }[] = [];
    const w = worker(db, async ({ index, wf }) => {
      const row = await db
        .selectFrom('workflows')
        .select('next_step')
        .where('id', '=', wf.id)
        .executeTakeFirstOrThrow();
      seen.push({ index, nextStep: row.next_step, results: (await stepRows(db, wf.id)).length });
      return { ok: true, result: { index } };
    });
    await w.start();
    await untilEnded(db, [id]);
    expect(seen).toEqual([0, 1, 2, 3].map((i) => ({ index: i, nextStep: i, results: i })));
    expect((await getWorkflow(db, id))?.state).toBe('done');
    expect(await stepRows(db, id)).toEqual([0, 1, 2, 3].map((step) => ({ step, outcome: 'ok' })));
  });

  it('stops at a failed step and records the failure once', async () => {
    const db = await store();
    const id = await addWorkflow(db, 4);
    const ran: number[] = [];
    const w = worker(db, async ({ index }) => {
      ran.push(index);
      return index === 1 ? { ok: false, result: {}, error: 'boom' } : { ok: true, result: {} };
    });
    await w.start();
    await untilEnded(db, [id]);
    expect(ran).toEqual([0, 1]);
    const row = await db.selectFrom('workflows').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
    expect(row).toMatchObject({ state: 'failed', error: 'boom', open_for: null, next_step: 2 });
  });

  it('resumes after a crash (store closed mid-workflow) at the first unfinished step, running no step twice', async () => {
    const db1 = await store();
    const id = await addWorkflow(db1, 5);
    const effects: number[] = [];
    let crashed = false;
    const w1 = worker(db1, async ({ index, signal }) => {
      if (index === 2 && !crashed) {
        crashed = true;
        await db1.destroy();
        await new Promise((resolve) => signal.addEventListener('abort', resolve));
        throw new Error('crashed');
      }
      effects.push(index);
      return { ok: true, result: {} };
    });
    await w1.start();
    while (!crashed) await sleep(10);

    const db2 = await store();
    expect(await stepRows(db2, id)).toEqual([0, 1].map((step) => ({ step, outcome: 'ok' })));
    const resumedAt: number[] = [];
    const w2 = worker(db2, async ({ index }) => {
      resumedAt.push(index);
      effects.push(index);
      return { ok: true, result: {} };
    });
    await w2.start();
    await untilEnded(db2, [id]);
    expect(resumedAt).toEqual([2, 3, 4]);
    expect(effects).toEqual([0, 1, 2, 3, 4]);
    expect(await stepRows(db2, id)).toHaveLength(5);
    expect((await getWorkflow(db2, id))?.state).toBe('done');
  });

  it('two workers on one store never run a workflow twice', async () => {
    const dbA = await store();
    const dbB = await store();
    const ids: string[] = [];
    for (let i = 0; i < 12; i++) ids.push(await addWorkflow(dbA, 3));
    const runs: { worker: string; wf: string; index: number }[] = [];
    const runner =
      (name: string): StepRunner =>
      async ({ wf, index }) => {
        runs.push({ worker: name, wf: wf.id, index });
        await sleep(5);
        return { ok: true, result: {} };
      };
    const a = worker(dbA, runner('a'), { concurrency: 4 });
    const b = worker(dbB, runner('b'), { concurrency: 4 });
    await Promise.all([a.start(), b.start()]);
    await untilEnded(dbA, ids);
    for (const id of ids) {
      const mine = runs.filter((r) => r.wf === id);
      expect(mine.map((r) => r.index)).toEqual([0, 1, 2]);
      expect(new Set(mine.map((r) => r.worker)).size).toBe(1);
      expect(await stepRows(dbA, id)).toHaveLength(3);
    }
  });

  it('a worker that lost its lease cannot commit, and one open workflow per instance is allowed', async () => {
    const db = await store();
    const id = await addWorkflow(db, 2, 'i-leased');
    const env = engineEnv(db, { leaseMs: 50 });
    const first = await claimNext(db, 'owner-a', 50);
    expect(first?.id).toBe(id);
    expect(await claimNext(db, 'owner-b', 50)).toBeUndefined();
    await sleep(80);
    const second = await claimNext(db, 'owner-b', 60_000);
    expect(second?.leaseOwner).toBe('owner-b');
    await expect(commitStep(env, first!, 0, 'owner-a', { ok: true, result: {} })).rejects.toBeInstanceOf(
      LeaseLostError,
    );
    await commitStep(env, second!, 0, 'owner-b', { ok: true, result: {} });
    expect(await stepRows(db, id)).toHaveLength(1);

    const again = insertWorkflow(db, {
      id: 'another',
      instanceId: 'i-leased',
      workspace: 'admin',
      operation: 'shutdown',
      plan: [],
      username: 'admin',
      requestId: 'r',
      created: '2026-01-01 00:00:00.000000',
    });
    await expect(again).rejects.toSatisfy(isUniqueViolation);
  });
});
