import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { readEvents, resetStream, streamInfo } from '../../src/server/events/log.js';
import { pruneEvents } from '../../src/server/events/retention.js';
import { append, lineOf, lines } from './tail-helpers.js';

let t: TestServer;
beforeAll(async () => {
  t = await startTestServer();
});
afterAll(async () => t.stop());

describe('event log', () => {
  it('gives each workspace its own gap-free sequence, in input order', async () => {
    const seqs = await append(t, [
      ...lines(2, 'i-aaaaaa', 'ws-a'),
      ...lines(1, 'i-bbbbbb', 'ws-b'),
      ...lines(2, 'i-aaaaaa', 'ws-a'),
    ]);
    expect(seqs).toEqual([1, 2, 1, 3, 4]);
    const a = await readEvents(t.server.db, 'ws-a');
    expect(a.map((e) => [e.seq, lineOf(e)])).toEqual([
      [1, 'line 0'],
      [2, 'line 1'],
      [3, 'line 0'],
      [4, 'line 1'],
    ]);
    expect(a[0]).toMatchObject({ type: 'script.output', instance: 'i-aaaaaa', workspace: 'ws-a' });
    expect(a[0]!.created).toMatch(/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{6}$/);
    expect(await streamInfo(t.server.db, 'ws-b')).toMatchObject({ head: 1, first: 1 });
    expect(await streamInfo(t.server.db, 'nothing-yet')).toEqual({ head: 0, epoch: null, first: 1 });
  });

  it('prunes a prefix by count and by age, keeping head and epoch', async () => {
    await append(t, lines(30, 'i-aaaaaa', 'ws-p'));
    const before = await streamInfo(t.server.db, 'ws-p');
    const byCount = await pruneEvents(t.server.db, { maxAgeMs: 3_600_000, maxEvents: 10 });
    expect(byCount.find((r) => r.workspace === 'ws-p')).toEqual({ workspace: 'ws-p', deleted: 20, first: 21 });
    expect(await streamInfo(t.server.db, 'ws-p')).toEqual({ head: 30, epoch: before.epoch, first: 21 });

    const later = Date.now() + 2 * 3_600_000;
    const byAge = await pruneEvents(t.server.db, { maxAgeMs: 3_600_000, maxEvents: 1000 }, later);
    expect(byAge.find((r) => r.workspace === 'ws-p')).toEqual({ workspace: 'ws-p', deleted: 10, first: 31 });
    expect(await streamInfo(t.server.db, 'ws-p')).toEqual({ head: 30, epoch: before.epoch, first: 31 });
    expect(await append(t, lines(1, 'i-aaaaaa', 'ws-p'))).toEqual([31]);
  });

  it('starts a new epoch at seq 1 after a reset', async () => {
    await append(t, lines(3, 'i-aaaaaa', 'ws-r'));
    const old = await streamInfo(t.server.db, 'ws-r');
    await resetStream(t.server.db, 'ws-r');
    expect(await append(t, lines(1, 'i-aaaaaa', 'ws-r'))).toEqual([1]);
    const now = await streamInfo(t.server.db, 'ws-r');
    expect(now.head).toBe(1);
    expect(now.epoch).not.toBe(old.epoch);
  });
});
