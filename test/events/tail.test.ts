import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { appendEvents, resetStream } from '../../src/server/events/log.js';
import { append, lineOf, lines, openTail, prunedWorkspace, type RawTail } from './tail-helpers.js';

let t: TestServer;
beforeAll(async () => {
  t = await startTestServer();
});
afterAll(async () => t.stop());

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const seqsOf = (tail: RawTail) => tail.events.map((e) => e.seq);
const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => from + i);

describe('F12 event-commit-race: concurrent writers', () => {
  it('every subscriber sees every committed event once, in seq order', async () => {
    // Subscribers: one from the start, one live-only, one joining mid-way from seq 0, one filtered.
    const fromStart = await openTail(t, 'since=0');
    const liveOnly = await openTail(t);
    const filtered = await openTail(t, 'instance=i-writer3');
    const writers = 8;
    const perWriter = 25;
    let lateJoiner: RawTail | undefined;
    const writer = async (w: number) => {
      for (let i = 0; i < perWriter; i++) {
        await t.server.db.transaction().execute(async (trx) => {
          await appendEvents(trx, [
            {
              workspace: 'admin',
              type: 'script.output',
              instanceId: `i-writer${w}`,
              data: { executionId: 'x', stream: 'stdout', line: `${w}:${i}` },
            },
          ]);
          // Hold the transaction open: with one writer held for 2 s, later writers queue behind it.
          await sleep(w === 0 && i === 3 ? 2000 : Math.random() * 5);
        });
        t.server.app.eventLog.bus.committed('admin');
        if (w === 1 && i === 10) lateJoiner = await openTail(t, 'since=0');
        await sleep(Math.random() * 5);
      }
    };
    await Promise.all(Array.from({ length: writers }, (_, w) => writer(w)));
    const total = writers * perWriter;
    for (const tail of [fromStart, liveOnly, lateJoiner!]) await tail.until(() => tail.events.length >= total);
    await filtered.until(() => filtered.events.length >= perWriter);
    expect(seqsOf(fromStart)).toEqual(range(1, total));
    expect(seqsOf(lateJoiner!)).toEqual(range(1, total));
    expect(seqsOf(liveOnly)).toEqual(range(1, total));
    expect(filtered.events.map(lineOf)).toEqual(range(0, perWriter - 1).map((i) => `3:${i}`));
    // Each writer's own lines arrive in the order it wrote them.
    for (let w = 0; w < writers; w++) {
      const mine = fromStart.events.filter((e) => e.instance === `i-writer${w}`).map(lineOf);
      expect(mine).toEqual(range(0, perWriter - 1).map((i) => `${w}:${i}`));
    }
    // History over HTTP, paged with the returned cursor, is the same sequence.
    const paged: number[] = [];
    for (let cursor = 0; ;) {
      const res = await t.call('GET', `/services/events?since=${cursor}&limit=37`);
      paged.push(...res.body.events.map((e: { seq: number }) => e.seq));
      if (res.body.cursor === cursor || res.body.cursor >= res.body.head) break;
      cursor = res.body.cursor;
    }
    expect(paged).toEqual(range(1, total));
    for (const tail of [fromStart, liveOnly, lateJoiner!, filtered]) tail.close();
  }, 60_000);
});

describe('resync when history is gone', () => {
  const W = 'resync';
  let head = 0;
  beforeAll(async () => {
    head = (await prunedWorkspace(t, W, 50, 10)).at(-1)!;
  });

  it('tells a tail that asks for pruned history, then continues from the first kept event', async () => {
    const tail = await openTail(t, `workspace=${W}&since=5`);
    await tail.until(() => tail.events.length === 10);
    expect(tail.messages[0]).toMatchObject({ type: 'welcome', head, first: head - 9, since: head - 10 });
    expect(tail.messages[1]).toMatchObject({ type: 'resync', reason: 'pruned', requested: 5, first: head - 9, head });
    expect(seqsOf(tail)).toEqual(range(head - 9, head));
    tail.close();
  });

  it('reports the same over HTTP', async () => {
    const res = await t.call('GET', `/services/events?workspace=${W}&since=5`);
    expect(res.body.resync).toMatchObject({ reason: 'pruned', requested: 5, first: head - 9 });
    expect(res.body.events.map((e: { seq: number }) => e.seq)).toEqual(range(head - 9, head));
    const fine = await t.call('GET', `/services/events?workspace=${W}&since=${head - 10}`);
    expect(fine.body.resync).toBeUndefined();
    expect(fine.body.events).toHaveLength(10);
  });

  it('resyncs on another epoch, and on a seq beyond the head', async () => {
    const epoch = await openTail(t, `workspace=${W}&since=45&epoch=0000-other-epoch`);
    await epoch.until(() => epoch.messages.some((m) => m.type === 'resync'));
    expect(epoch.messages.find((m) => m.type === 'resync')).toMatchObject({ reason: 'epoch', first: head - 9 });
    const ahead = await openTail(t, `workspace=${W}&since=${head + 100}`);
    await ahead.until(() => ahead.messages.some((m) => m.type === 'resync'));
    expect(ahead.messages.find((m) => m.type === 'resync')).toMatchObject({ reason: 'ahead', requested: head + 100 });
    epoch.close();
    ahead.close();
  });

  it('tells a live tail when its stream is reset, then follows the new epoch from seq 1', async () => {
    const tail = await openTail(t, `workspace=${W}&since=${head}`);
    await tail.until(() => tail.messages.some((m) => m.type === 'heartbeat'));
    await resetStream(t.server.db, W);
    await append(t, lines(3, 'i-aaaaaa', W));
    await tail.until(() => tail.events.length === 3);
    const resync = tail.messages.find((m) => m.type === 'resync');
    expect(resync).toMatchObject({ reason: 'epoch', requested: head, first: 1 });
    expect(seqsOf(tail)).toEqual([1, 2, 3]);
    tail.close();
  });
});

describe('filters', () => {
  const W = 'filters';
  beforeAll(async () => {
    await t.call('POST', '/services/workspaces', { body: { name: W } });
    const now = '2026-01-01 00:00:00.000000';
    for (const [id, tags] of [
      ['i-web001', ['web', 'prod']],
      ['i-web002', ['web']],
      ['i-db0001', ['db', 'prod']],
    ] as const) {
      await t.server.db
        .insertInto('instances')
        .values({
          id,
          owner: W,
          name: id,
          box_id: 'b',
          provider_id: null,
          state: 'done',
          doc: JSON.stringify({ id, tags }),
          created: now,
          updated: now,
        })
        .execute();
    }
    await append(t, [
      ...lines(2, 'i-web001', W),
      {
        workspace: W,
        type: 'instance.state',
        instanceId: 'i-web002',
        data: { id: 'i-web002', state: 'done', operation: { event: 'deploy' }, updated: '' },
      },
      ...lines(2, 'i-db0001', W),
      { workspace: W, type: 'agent.connect', data: { machine: 'm1', session: 1 } },
    ]);
  });

  const http = async (q: string) =>
    (await t.call('GET', `/services/events?workspace=${W}&${q}`)).body.events.map((e: { seq: number }) => e.seq);

  it('by instance (repeated or comma-separated), type, and tags (all of them)', async () => {
    expect(await http('instance=i-web001')).toEqual([1, 2]);
    expect(await http('instance=i-web001&instance=i-db0001')).toEqual([1, 2, 4, 5]);
    expect(await http('instance=i-web002,i-db0001&type=script.output')).toEqual([4, 5]);
    expect(await http('type=instance.state&type=agent.connect')).toEqual([3, 6]);
    expect(await http('tag=web')).toEqual([1, 2, 3]);
    expect(await http('tag=prod')).toEqual([1, 2, 4, 5]);
    expect(await http('tag=web&tag=prod')).toEqual([1, 2]);
    expect(await http('tail=2')).toEqual([5, 6]);
    expect(await http('tail=1&tag=web')).toEqual([3]);
  });

  it('applies to live tails too, with heartbeats advancing the cursor past skipped events', async () => {
    const tail = await openTail(t, `workspace=${W}&tag=db&since=0`);
    await tail.until(() => tail.events.length === 2);
    await append(t, [...lines(1, 'i-web001', W, 10), ...lines(1, 'i-db0001', W, 10), ...lines(1, 'i-web002', W, 10)]);
    await tail.until(() => tail.events.length === 3);
    expect(seqsOf(tail)).toEqual([4, 5, 8]);
    tail.ws.send(JSON.stringify({ type: 'ping' }));
    await tail.until(() => tail.messages.some((m) => m.type === 'heartbeat' && m.head === 9));
    tail.close();
  });
});

describe('socket hygiene', () => {
  it('closes a client that sends an unknown frame (1008) or an oversized one (1009)', async () => {
    const bad = await openTail(t);
    bad.ws.send(JSON.stringify({ type: 'subscribe', all: true }));
    await bad.until(() => bad.closeCode !== undefined);
    expect(bad.closeCode).toBe(1008);
    const big = await openTail(t);
    // Once the tail is live (its first heartbeat) the server sends nothing more on its own, so the
    // close frame is the next one: with a server frame still arriving (the history read, slower on
    // PostgreSQL), the client's ws could see the connection end first and report 1006.
    await big.until(() => big.messages.some((m) => m.type === 'heartbeat'));
    big.ws.send(JSON.stringify({ type: 'ping', pad: 'x'.repeat(64 * 1024) }));
    await big.until(() => big.closeCode !== undefined);
    expect(big.closeCode).toBe(1009);
  });

  it('terminates a peer that stops answering pings', async () => {
    const tunables = t.server.app.eventLog.tunables;
    const saved = tunables.pingIntervalMs;
    tunables.pingIntervalMs = 100;
    try {
      const { WebSocket } = await import('ws');
      const { tailUrl } = await import('./tail-helpers.js');
      const ws = new WebSocket(tailUrl(t), {
        ca: t.server.ca,
        headers: { 'elasticbox-token': t.token },
        autoPong: false,
      });
      const code = await new Promise<number>((resolve) => ws.on('close', resolve));
      expect(code).toBe(1006);
    } finally {
      tunables.pingIntervalMs = saved;
    }
  });
});
