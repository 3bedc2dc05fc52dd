import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Db } from '../../src/server/store/db.js';
import { getInstance, insertInstance, type InstanceDoc } from '../../src/server/instances/store.js';
import { mutateInstance } from '../../src/server/workflows/instance-doc.js';
import { newInstanceId } from '../../src/shared/ids.js';
import { timestamp } from '../../src/shared/time.js';
import { dropTestDatabase, openTestStore } from '../helpers/store.js';

/**
 * Read-modify-write of one instance document from two transactions at once (a workflow step and an
 * agent's `elasticbox set`, say): the second waits for the first and changes its result. SQLite
 * runs one transaction at a time; on PostgreSQL (READ COMMITTED) this holds only because the
 * document is read `FOR UPDATE`, without which the second write silently dropped the first change.
 */
const dir = mkdtempSync(join(tmpdir(), 'ebcli-instance-updates-'));
const file = join(dir, 'ebcli.db');
let db: Db;

beforeAll(async () => {
  db = await openTestStore(file);
});
afterAll(async () => {
  await db?.destroy();
  rmSync(dir, { recursive: true, force: true });
  await dropTestDatabase(file);
});

async function seed(): Promise<string> {
  const id = newInstanceId();
  const now = timestamp();
  const doc = {
    id,
    uri: `/services/instances/${id}`,
    schema: 'http://elasticbox.net/schemas/instance',
    name: `i-${id}`,
    owner: 'admin',
    box: 'b',
    boxes: [],
    state: 'done',
    operation: { event: 'deploy', workspace: 'admin', created: now },
    tags: [],
    variables: [],
    bindings: [],
    members: [],
    service: { type: 'Linux Compute', id: 'eb-x', machines: [] },
    automatic_updates: 'off',
    created: now,
    updated: now,
    deleted: null,
  } as InstanceDoc;
  await insertInstance(db, doc, null);
  return id;
}

describe('instance documents changed by concurrent transactions', () => {
  it('keeps both changes: the second read waits for the first transaction to end', async () => {
    const id = await seed();
    let release!: () => void;
    const held = new Promise<void>((r) => (release = r));
    let firstRead!: () => void;
    const read = new Promise<void>((r) => (firstRead = r));
    const first = db.transaction().execute(async (trx) => {
      await mutateInstance(trx, id, (d) => (d.tags = ['first']), { events: [], workflowId: null });
      firstRead();
      await held; // the transaction stays open, its change not yet committed
    });
    await read;
    const second = db.transaction().execute((trx) =>
      mutateInstance(trx, id, (d) => (d.variables = [{ name: 'second', type: 'Text', value: 'v' }]), {
        events: [],
        workflowId: null,
      }),
    );
    // Let the second transaction reach its read before the first one commits.
    await new Promise((r) => setTimeout(r, 200));
    release();
    await Promise.all([first, second]);
    const doc = (await getInstance(db, id))!;
    expect(doc.tags).toEqual(['first']);
    expect(doc.variables).toEqual([{ name: 'second', type: 'Text', value: 'v' }]);
  });
});
