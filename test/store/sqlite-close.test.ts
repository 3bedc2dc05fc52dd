import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, describe, expect, it } from 'vitest';
import { CHECKPOINT_INTERVAL_MS } from '../../src/server/store/checkpointer.js';
import { openSqliteStore } from '../../src/server/store/db.js';

// An embedded store is closed when `destroy()` resolves: its background checkpointer's connection
// too, so the store's own connection is the file's last and SQLite folds the WAL back into the
// file and removes -wal and -shm. (Before, the checkpointer thread closed a moment later, racing
// with whatever came next: deleting the data directory, copying the file, opening it again.)
describe('SQLite store close', () => {
  const dirs: string[] = [];
  afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

  it('leaves only the database file once destroy() resolves, every time', async () => {
    for (let i = 0; i < 5; i++) {
      const dir = mkdtempSync(join(tmpdir(), 'ebcli-close-'));
      dirs.push(dir);
      const file = join(dir, 'ebcli.db');
      const db = await openSqliteStore(file);
      await db
        .insertInto('stream_heads')
        .values({ workspace: `w${i}`, head: 1, epoch: 'e' })
        .execute();
      // The checkpointer thread has opened its connection and checkpointed at least once.
      await sleep(CHECKPOINT_INTERVAL_MS + 100);
      await db.destroy();
      expect(readdirSync(dir)).toEqual(['ebcli.db']);
      expect(existsSync(`${file}-wal`)).toBe(false);
    }
  });
});
