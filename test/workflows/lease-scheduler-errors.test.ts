import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { LeaseScheduler } from '../../src/server/workflows/lease-scheduler.js';
import { dropTestDatabase, openTestStore } from '../helpers/store.js';
import { engineEnv } from './engine-env.js';

const dir = mkdtempSync(join(tmpdir(), 'ebcli-lease-errors-'));
const file = join(dir, 'store.db');
afterAll(async () => {
  rmSync(dir, { recursive: true, force: true });
  await dropTestDatabase(file);
});

describe('lease scheduler', () => {
  it('reports a round that cannot read the store and keeps ticking, instead of an unhandled rejection', async () => {
    const db = await openTestStore(file);
    // The store goes away under the running scheduler (on PostgreSQL: a restart, a dropped database).
    await db.destroy();
    const errors: unknown[] = [];
    const unhandled: unknown[] = [];
    const onUnhandled = (reason: unknown) => void unhandled.push(reason);
    process.on('unhandledRejection', onUnhandled);
    const scheduler = new LeaseScheduler(engineEnv(db, { schedulerMs: 20 }), (err) => errors.push(err));
    try {
      scheduler.start();
      // The first round runs at once, the next ones every 20 ms: wait for several reports.
      const deadline = Date.now() + 10_000;
      while (errors.length < 3 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    } finally {
      scheduler.stop();
      process.off('unhandledRejection', onUnhandled);
    }
    expect(errors.length).toBeGreaterThanOrEqual(3);
    expect(unhandled).toEqual([]);
  });
});
