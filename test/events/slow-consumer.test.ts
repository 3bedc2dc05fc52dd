import { afterAll, beforeAll, expect, it } from 'vitest';
import type { WebSocket } from 'ws';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { append, openTail, type RawTail } from './tail-helpers.js';

let t: TestServer;
beforeAll(async () => {
  t = await startTestServer();
});
afterAll(async () => t.stop());

const socketOf = (tail: RawTail) => (tail.ws as unknown as { _socket: NodeJS.ReadableStream })._socket;
const closingOnServer = (t: TestServer) =>
  [...(t.server.app.websocketServer.clients as Set<WebSocket>)].filter((c) => c.readyState === c.CLOSING).length;

it('L3 slow-consumer (scaled down): the stalled tail is cut off, the others get everything, it resumes', async () => {
  t.server.app.eventLog.tunables.maxBufferedBytes = 256 * 1024;
  // The cut-off tail reads a quarter MiB and then its close frame; on a loaded machine that can take
  // longer than the default 2 s grace, after which the server destroys the socket (1006, not 4008).
  t.server.app.eventLog.tunables.closeGraceMs = 20_000;
  const others = await Promise.all(Array.from({ length: 20 }, () => openTail(t)));
  const slow = await openTail(t);
  socketOf(slow).pause();

  const pad = 'x'.repeat(2000);
  const rounds = 250;
  const perRound = 50;
  let cut = false;
  for (let r = 0; r < rounds; r++) {
    await append(
      t,
      Array.from({ length: perRound }, (_, i) => ({
        workspace: 'admin',
        type: 'script.output' as const,
        instanceId: 'i-loud01',
        data: { executionId: 'x', stream: 'stdout' as const, line: `${r}.${i} ${pad}` },
      })),
    );
    if (!cut && closingOnServer(t) > 0) {
      cut = true;
      socketOf(slow).resume();
    }
    await new Promise((resolve) => setImmediate(resolve));
  }
  const total = rounds * perRound;
  expect(cut).toBe(true);
  for (const o of others) await o.until(() => o.events.length >= total, 30_000);
  for (const o of others) expect(o.events.map((e) => e.seq)).toEqual(Array.from({ length: total }, (_, i) => i + 1));

  await slow.until(() => slow.closeCode !== undefined, 10_000);
  expect(slow.closeCode).toBe(4008);
  const seen = slow.events.map((e) => e.seq);
  expect(seen.length).toBeLessThan(total);
  expect(seen).toEqual(Array.from({ length: seen.length }, (_, i) => i + 1));

  const resumed = await openTail(t, `since=${seen.at(-1) ?? 0}`);
  await resumed.until(() => resumed.events.length >= total - seen.length, 30_000);
  expect([...seen, ...resumed.events.map((e) => e.seq)]).toEqual(Array.from({ length: total }, (_, i) => i + 1));
  for (const o of [...others, resumed]) o.close();
}, 60_000);
