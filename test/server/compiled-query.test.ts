import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compiledOnce } from '../../src/server/store/compiled-query.js';
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
});
