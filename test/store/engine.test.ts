import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Db } from '../../src/server/store/db.js';
import { isPostgres } from '../../src/server/store/dialect.js';
import { dropTestDatabase, onPostgres, openTestStore } from '../helpers/store.js';

/**
 * The portable schema on whichever engine this run uses (SQLite by default, PostgreSQL with
 * EBCLI_TEST_DATABASE=postgres): 64-bit times and sequence numbers, binary data, identity keys and
 * counts come back with the same JavaScript types on both.
 */
describe(`store on ${onPostgres ? 'PostgreSQL' : 'SQLite'}`, () => {
  let dir: string;
  let file: string;
  let db: Db;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'ebcli-store-'));
    file = join(dir, 'ebcli.db');
    db = await openTestStore(file);
  });

  afterAll(async () => {
    await db?.destroy();
    await dropTestDatabase(file);
    rmSync(dir, { recursive: true, force: true });
  });

  it('runs on the engine the test run selected', () => {
    expect(isPostgres(db)).toBe(onPostgres);
  });

  it('keeps epoch milliseconds past 2^31 and 64-bit sequence numbers as numbers', async () => {
    const lease = Date.UTC(2300, 0, 1); // well past 32 bits
    const now = new Date().toISOString();
    await db
      .insertInto('workflows')
      .values({
        id: 'wf-1',
        instance_id: 'i-1',
        workspace: 'w',
        operation: 'deploy',
        state: 'pending',
        open_for: 'i-1',
        plan: '[]',
        next_step: 0,
        lease_expires: lease,
        username: 'u',
        request_id: 'r',
        created: now,
        updated: now,
      })
      .execute();
    const row = await db.selectFrom('workflows').select(['lease_expires', 'next_step']).executeTakeFirstOrThrow();
    expect(row).toEqual({ lease_expires: lease, next_step: 0 });

    const seq = 2 ** 40;
    await db.insertInto('stream_heads').values({ workspace: 'w', head: seq, epoch: 'e' }).execute();
    const head = await db.selectFrom('stream_heads').select('head').executeTakeFirstOrThrow();
    expect(head.head).toBe(seq);
  });

  it('stores binary data byte for byte and reads it back as a Buffer', async () => {
    const data = Buffer.from([0, 1, 2, 0xff, 0xfe, 0, 0x80]);
    await db
      .insertInto('blobs')
      .values({
        id: 'b-1',
        name: 'x.bin',
        uploader: 'u',
        content_type: 'application/octet-stream',
        length: data.length,
        md5: 'm',
        data,
        created: new Date().toISOString(),
      })
      .execute();
    const row = await db.selectFrom('blobs').select(['data', 'length']).executeTakeFirstOrThrow();
    expect(Buffer.isBuffer(row.data)).toBe(true);
    expect(row.data.equals(data)).toBe(true);
    expect(row.length).toBe(data.length);
  });

  it('numbers identity keys in ascending order and counts as numbers', async () => {
    const ids: number[] = [];
    for (const text of ['a', 'b', 'c']) {
      const r = await db
        .insertInto('activities')
        .values({ instance_id: 'i-1', workspace: 'w', text, level: 'info', created: new Date().toISOString() })
        .returning('id')
        .executeTakeFirstOrThrow();
      ids.push(r.id);
    }
    expect(ids.every((id) => typeof id === 'number')).toBe(true);
    expect([...ids].sort((a, b) => a - b)).toEqual(ids);
    expect(new Set(ids).size).toBe(3);
    const n = await db
      .selectFrom('activities')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .executeTakeFirstOrThrow();
    expect(n.n).toBe(3);
  });

  it('reopens with the data kept and no migration left to run', async () => {
    await db.destroy();
    db = await openTestStore(file);
    const wf = await db.selectFrom('workflows').select('id').execute();
    expect(wf).toEqual([{ id: 'wf-1' }]);
  });
});
