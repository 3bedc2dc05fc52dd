import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { WebSocket } from 'ws';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { addUser } from '../helpers/users.js';
import { AuthenticationError, PermissionDeniedError } from '../../src/client/errors.js';
import { streamEvents, type EventStreamItem, type EventStreamOptions } from '../../src/client/events.js';
import { append, lineOf, lines, prunedWorkspace } from './tail-helpers.js';

let t: TestServer;
let bob: string;
beforeAll(async () => {
  t = await startTestServer();
  bob = await addUser(t, 'bob');
});
afterAll(async () => t.stop());

const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => from + i);

/** Runs a stream in the background, recording every item. */
function collect(opts: Partial<EventStreamOptions>) {
  const abort = new AbortController();
  const items: EventStreamItem[] = [];
  const stream = streamEvents({
    url: () => t.url,
    token: t.token,
    ca: t.server.ca,
    backoff: { baseMs: 50, capMs: 300 },
    signal: abort.signal,
    ...opts,
  });
  const done = (async () => {
    for await (const item of stream) items.push(item);
  })();
  const seqs = () => items.flatMap((i) => (i.kind === 'event' ? [i.event.seq] : []));
  const until = async (pred: () => boolean, ms = 15_000) => {
    const end = Date.now() + ms;
    while (!pred()) {
      if (Date.now() > end) throw new Error(`condition not met; seqs so far: ${seqs().length}`);
      await new Promise((r) => setTimeout(r, 20));
    }
  };
  return { items, seqs, until, done, stop: () => abort.abort() };
}

describe('F13 cli-tail-resume (client level)', () => {
  it('survives a server restart and dropped connections with every event exactly once', async () => {
    const base = (await append(t, lines(1))).at(-1)!;
    const tail = collect({ since: base });
    await tail.until(() => tail.items.some((i) => i.kind === 'connected'));
    await append(t, lines(100, 'i-aaaaaa', 'admin', 1));
    await tail.until(() => tail.seqs().length === 100);

    await t.restart();
    await append(t, lines(100, 'i-aaaaaa', 'admin', 101));
    await tail.until(() => tail.seqs().length === 200);

    // Drop the connection from the server side while events keep coming.
    const writer = (async () => {
      for (let i = 0; i < 20; i++) {
        await append(t, lines(10, 'i-aaaaaa', 'admin', 201 + i * 10));
        if (i % 5 === 2) for (const c of t.server.app.websocketServer.clients as Set<WebSocket>) c.terminate();
        await new Promise((r) => setTimeout(r, 10));
      }
    })();
    await writer;
    await tail.until(() => tail.seqs().length === 400);
    expect(tail.seqs()).toEqual(range(base + 1, base + 400));
    const lineNumbers = tail.items.flatMap((i) => (i.kind === 'event' ? [lineOf(i.event)] : []));
    expect(lineNumbers).toEqual(range(1, 400).map((n) => `line ${n}`));
    expect(tail.items.filter((i) => i.kind === 'disconnected').length).toBeGreaterThanOrEqual(2);
    expect(tail.items.some((i) => i.kind === 'resync')).toBe(false);
    tail.stop();
    await tail.done;
  }, 60_000);

  it('surfaces lost history as an explicit resync item, then continues', async () => {
    await prunedWorkspace(t, 'pruned', 30, 5);
    const tail = collect({ workspace: 'pruned', since: 3 });
    await tail.until(() => tail.seqs().length === 5);
    const kinds = tail.items.map((i) => i.kind);
    expect(kinds.slice(0, 2)).toEqual(['connected', 'resync']);
    expect(tail.items[1]).toMatchObject({ kind: 'resync', resync: { reason: 'pruned', requested: 3, first: 26 } });
    expect(tail.seqs()).toEqual(range(26, 30));
    tail.stop();
    await tail.done;
  });

  it('fails at once when the subscription is refused', async () => {
    const consume = async (opts: Partial<EventStreamOptions>) => {
      const stream = streamEvents({ url: t.url, ca: t.server.ca, ...opts });
      for await (const _ of stream) void _;
    };
    await expect(consume({ token: 'wrong' })).rejects.toBeInstanceOf(AuthenticationError);
    await expect(consume({ token: bob, workspace: 'admin' })).rejects.toBeInstanceOf(PermissionDeniedError);
  });

  it('stops when its signal aborts', async () => {
    const tail = collect({});
    await tail.until(() => tail.items.some((i) => i.kind === 'connected'));
    tail.stop();
    await tail.done;
    expect(tail.items.at(-1)?.kind).toBe('connected');
  });
});
