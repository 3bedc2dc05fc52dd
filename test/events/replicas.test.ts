import { copyFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { dataFiles } from '../../src/shared/paths.js';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { freshPostgresDatabase, stopOwnCluster } from '../helpers/store.js';
import { append, lines, openTail, type RawTail } from './tail-helpers.js';

const servers: TestServer[] = [];
const tails: RawTail[] = [];

afterAll(async () => {
  for (const tail of tails) tail.close();
  for (const t of servers) await t.stop().catch(() => undefined);
  stopOwnCluster();
});

/** Two servers on one PostgreSQL database; the second uses the admin token the first bootstrapped. */
async function replicas(): Promise<[TestServer, TestServer]> {
  const url = await freshPostgresDatabase();
  const a = await startTestServer(undefined, { database: url });
  servers.push(a);
  const dirB = mkdtempSync(join(tmpdir(), 'ebcli-test-'));
  copyFileSync(dataFiles(a.dataDir).adminToken, dataFiles(dirB).adminToken);
  const b = await startTestServer(dirB, { database: url });
  servers.push(b);
  for (const t of [a, b]) {
    // No safety-net re-read within the test: only a wake-up (local, or from the other replica) delivers.
    t.server.app.eventLog.tunables.pollMs = 3_600_000;
  }
  return [a, b];
}

const texts = (tail: RawTail) => tail.events.map((e) => (e.data as { line: string }).line);

describe('event tails across replicas on PostgreSQL (LISTEN/NOTIFY, batched)', () => {
  it('a tail on either replica sees every replica’s events once, gap-free and in order', async () => {
    const [a, b] = await replicas();
    const onA = await openTail(a, 'since=0&instance=i-repl01');
    const onB = await openTail(b, 'since=0&instance=i-repl01');
    tails.push(onA, onB);

    // Writers on both replicas at once, several commits each.
    await Promise.all([
      (async () => {
        for (let i = 0; i < 10; i++) await append(a, lines(10, 'i-repl01', 'admin', i * 10));
      })(),
      (async () => {
        for (let i = 0; i < 10; i++) await append(b, lines(10, 'i-repl01', 'admin', 100 + i * 10));
      })(),
    ]);
    for (const tail of [onA, onB]) {
      await tail.until(() => tail.events.length >= 200);
      const seqs = tail.events.map((e) => e.seq);
      expect(seqs).toEqual(Array.from({ length: 200 }, (_, i) => seqs[0]! + i));
      expect(new Set(texts(tail)).size).toBe(200);
    }
    // Both tails saw the one stream in the same order.
    expect(texts(onA)).toEqual(texts(onB));
  }, 60_000);
});
