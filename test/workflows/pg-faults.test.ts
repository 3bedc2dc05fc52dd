import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import type { Db } from '../../src/server/store/db.js';
import { openPostgresStore } from '../../src/server/store/postgres.js';
import { WorkflowWorker } from '../../src/server/workflows/worker.js';
import { freshPostgresDatabase, stopOwnCluster } from '../helpers/store.js';
import { addWorkflow, engineEnv, sleep } from './engine-env.js';

let db: Db | undefined;
let worker: WorkflowWorker | undefined;

afterAll(async () => {
  await worker?.stop().catch(() => undefined);
  await db?.destroy().catch(() => undefined);
  stopOwnCluster();
});

/** Ends every other session on the test database (what an operator's pg_terminate_backend does). */
async function terminateOthers(url: string): Promise<number> {
  const admin = new pg.Client({ connectionString: url });
  await admin.connect();
  try {
    const r = await admin.query(
      'select pg_terminate_backend(pid) from pg_stat_activity where datname = current_database() and pid <> pg_backend_pid()',
    );
    return r.rowCount ?? 0;
  } finally {
    await admin.end();
  }
}

/** A query that may meet a connection being terminated: retried until it answers. */
async function retrying<T>(fn: () => Promise<T>): Promise<T> {
  for (;;) {
    try {
      return await fn();
    } catch {
      await sleep(50);
    }
  }
}

describe('workflow engine on PostgreSQL when the server connections are terminated', () => {
  it('every workflow still ends, each step committed once, after two rounds of pg_terminate_backend', async () => {
    const url = await freshPostgresDatabase();
    db = await openPostgresStore(url);
    const ids: string[] = [];
    for (let i = 0; i < 12; i++) ids.push(await addWorkflow(db, 6));
    const store = db;
    worker = new WorkflowWorker(engineEnv(store, { leaseMs: 1500, concurrency: 4 }), {
      runner: async () => {
        await sleep(15);
        return { ok: true, result: {} };
      },
      onError: () => undefined,
    });
    const committed = () =>
      retrying(async () =>
        Number(
          (
            await store
              .selectFrom('step_results')
              .select((eb) => eb.fn.countAll<number>().as('n'))
              .executeTakeFirstOrThrow()
          ).n,
        ),
      );
    await worker.start();
    for (const atLeast of [10, 35]) {
      while ((await committed()) < atLeast) await sleep(20);
      expect(await terminateOthers(url)).toBeGreaterThan(0);
    }
    const deadline = Date.now() + 45_000;
    for (;;) {
      const open = await retrying(() =>
        store.selectFrom('workflows').select('id').where('state', 'in', ['pending', 'running']).execute(),
      );
      if (!open.length) break;
      if (Date.now() > deadline) throw new Error(`${open.length} workflows did not end`);
      await sleep(50);
    }
    const states = await store.selectFrom('workflows').select('state').execute();
    expect(states.map((s) => s.state)).toEqual(ids.map(() => 'done'));
    const perWorkflow = await store
      .selectFrom('step_results')
      .select(['workflow_id', (eb) => eb.fn.countAll<number>().as('n')])
      .groupBy('workflow_id')
      .execute();
    expect(perWorkflow.map((r) => Number(r.n))).toEqual(ids.map(() => 6));
  }, 90_000);
});
