/**
 * Migration 0010 (fleet indexes) and the `binding_watch` flag it adds: filled for instances that
 * existed before it, and kept by every instance write afterwards. The end of every operation
 * finds the instances to reconfigure by this flag instead of matching every instance document
 * (auto-reconfigure.ts); test/workflows/auto-reconfigure.test.ts covers the behaviour itself.
 * Runs on the run's engine (SQLite, or PostgreSQL with EBCLI_TEST_DATABASE=postgres).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import SQLite from 'better-sqlite3';
import { Kysely, Migrator, PostgresDialect, SqliteDialect, type Migration } from 'kysely';
import { afterAll, describe, expect, it } from 'vitest';
import { MIGRATIONS, migrateToLatest } from '../../src/server/store/migrations.js';
import { bindingWatchers, getInstance, updateInstance, type InstanceDoc } from '../../src/server/instances/store.js';
import { postgresPool } from '../../src/server/store/postgres.js';
import type { Database } from '../../src/server/store/schema.js';
import { benchInstanceDoc } from '../../bench/lib/fixtures.js';
import { dropTestDatabase, testDatabaseUrl } from '../helpers/store.js';

const dir = mkdtempSync(join(tmpdir(), 'ebcli-fleet-indexes-'));
afterAll(async () => {
  await dropTestDatabase(join(dir, 'store.db'));
  rmSync(dir, { recursive: true, force: true });
});

const before0010: Record<string, Migration> = Object.fromEntries(
  Object.entries(MIGRATIONS).filter(([name]) => name < '0010'),
);

async function openUnmigrated(): Promise<Kysely<Database>> {
  const file = join(dir, 'store.db');
  const url = await testDatabaseUrl(file);
  return new Kysely<Database>({
    dialect: url ? new PostgresDialect({ pool: postgresPool(url) }) : new SqliteDialect({ database: new SQLite(file) }),
  });
}

const binding = { name: 'peer', type: 'Binding', value: '' };
const doc = (i: number, extra: Record<string, unknown>): InstanceDoc => ({ ...benchInstanceDoc(i), ...extra });

describe('migration 0010: binding_watch', () => {
  it('is filled for existing instances and kept by every write', async () => {
    const db = await openUnmigrated();
    try {
      const migrator = new Migrator({ db, provider: { getMigrations: async () => before0010 } });
      expect((await migrator.migrateToLatest()).error).toBeUndefined();
      const docs = [
        doc(0, { automatic_reconfiguration: true, variables: [binding] }),
        doc(1, { automatic_reconfiguration: false, variables: [binding] }),
        doc(2, { automatic_reconfiguration: true, variables: [binding], deleted: '2026-01-01 00:00:00.000000' }),
        doc(3, { automatic_reconfiguration: true }),
      ];
      // Rows as the store wrote them before 0010 (no flag column yet).
      for (const d of docs)
        await (db as Kysely<any>)
          .insertInto('instances')
          .values({
            id: d.id,
            owner: d.owner,
            name: d.name,
            box_id: d.box,
            provider_id: null,
            state: d.state,
            doc: JSON.stringify(d),
            created: d.created,
            updated: d.updated,
          })
          .execute();
      await migrateToLatest(db as Kysely<unknown>);
      expect((await bindingWatchers(db, 'none')).map((d) => d.id)).toEqual([docs[0]!.id]);
      expect(await bindingWatchers(db, docs[0]!.id)).toEqual([]);

      // Later writes keep it: switched on, switched off by a delete.
      const one = (await getInstance(db, docs[1]!.id))!;
      await updateInstance(db, { ...one, automatic_reconfiguration: true });
      expect((await bindingWatchers(db, 'none')).map((d) => d.id).sort()).toEqual([docs[0]!.id, docs[1]!.id].sort());
      const zero = (await getInstance(db, docs[0]!.id))!;
      await updateInstance(db, { ...zero, deleted: '2026-01-02 00:00:00.000000' });
      expect((await bindingWatchers(db, 'none')).map((d) => d.id)).toEqual([docs[1]!.id]);
    } finally {
      await db.destroy();
    }
  });
});
