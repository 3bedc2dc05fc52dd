import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compiledOnce, compiledPerDialect } from '../../src/server/store/compiled-query.js';
import type { Db } from '../../src/server/store/db.js';
import { startTestServer, type TestServer } from '../helpers/server.js';

/** Queries compiled once per store and run with new values (src/server/store/compiled-query.ts). */
describe('compiled queries', () => {
  let t: TestServer;
  beforeAll(async () => {
    t = await startTestServer();
  });
  afterAll(async () => {
    await t.stop();
  });

  it('run with the values given, not the placeholders they were compiled with', async () => {
    const role = compiledOnce(
      (db: Db, member: string, ws: string) =>
        db.selectFrom('memberships').select('role').where('member', '=', member).where('workspace_id', '=', ws),
      ['placeholder-member', 'placeholder-ws'],
    );
    expect(await role(t.server.db, 'admin', 'admin')).toEqual([{ role: 'owner' }]);
    expect(await role(t.server.db, 'admin', 'nobody')).toEqual([]);
    expect(await role(t.server.db, 'placeholder-member', 'placeholder-ws')).toEqual([]);
  });

  it('refuse a query whose parameters are not the placeholders in order', async () => {
    const swapped = compiledOnce(
      (db: Db, member: string, ws: string) =>
        db.selectFrom('memberships').select('role').where('workspace_id', '=', ws).where('member', '=', member),
      ['m', 'w'],
    );
    await expect(swapped(t.server.db, 'admin', 'admin')).rejects.toThrow(/parameters in order/);
  });

  it('compiled per dialect: run inside a transaction too, answering the rows changed', async () => {
    const rename = compiledPerDialect(
      (db, description: string, id: string) => db.updateTable('tokens').set({ description }).where('id', '=', id),
      ['\u0000description', '\u0000id'],
    );
    const db = t.server.db;
    const token = await db.selectFrom('tokens').select(['id', 'description']).executeTakeFirstOrThrow();
    const changed = await db.transaction().execute(async (trx) => {
      const r = await rename(trx, 'renamed in a transaction', token.id);
      // Seen inside the transaction that ran it.
      expect(
        (await trx.selectFrom('tokens').select('description').where('id', '=', token.id).executeTakeFirst())
          ?.description,
      ).toBe('renamed in a transaction');
      return r.numAffectedRows;
    });
    expect(changed).toBe(1n);
    expect((await rename(db, token.description, 'no-such-token')).numAffectedRows).toBe(0n);
    const back = await rename(db, token.description, token.id);
    expect(back.numAffectedRows).toBe(1n);
  });
});
