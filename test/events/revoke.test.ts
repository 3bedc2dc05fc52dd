import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { AuthenticationError } from '../../src/client/errors.js';
import { streamEvents, type EventStreamItem } from '../../src/client/events.js';
import { CloseCode } from '../../src/shared/protocol.js';
import { append, lines, openTail, upgradeStatus, type RawTail } from './tail-helpers.js';

let t: TestServer;
beforeAll(async () => {
  t = await startTestServer();
});
afterAll(async () => t.stop());

/** A fresh API token of the admin user: its id (for DELETE) and value. */
async function newToken(description: string): Promise<{ id: string; value: string }> {
  const res = await t.call('POST', '/services/tokens', { body: { description } });
  expect(res.status).toBe(200);
  return { id: res.body.id, value: res.body.value };
}

const welcomed = (tail: RawTail) => tail.until(() => tail.messages.some((m) => m.type === 'welcome'));
/** Milliseconds until the socket is closed, failing after 5 s (quality.md A1). */
async function closedWithin(tail: RawTail, since: number): Promise<number> {
  await tail.until(() => tail.closeCode !== undefined, 5000);
  return Date.now() - since;
}

describe('A1 ws-upgrade-auth: a revoked token closes its open tails', () => {
  it('DELETE /services/tokens/:id closes every tail opened with that token, and only those', async () => {
    const doomed = await newToken('revoked in the test');
    const kept = await newToken('kept in the test');
    const first = await openTail(t, '', doomed.value);
    const second = await openTail(t, 'instance=i-revoke1', doomed.value);
    const other = await openTail(t, '', kept.value);
    const admin = await openTail(t);
    await Promise.all([first, second, other, admin].map(welcomed));

    const at = Date.now();
    expect((await t.call('DELETE', `/services/tokens/${doomed.id}`)).status).toBe(204);
    for (const tail of [first, second]) {
      // The route announces the delete: no need to wait for the periodic re-check.
      expect(await closedWithin(tail, at)).toBeLessThan(1500);
      expect(tail.closeCode).toBe(CloseCode.revoked);
    }

    // Tails opened with other tokens keep streaming.
    await append(t, lines(3, 'i-revoke1'));
    for (const tail of [other, admin]) {
      await tail.until(() => tail.events.filter((e) => e.instance === 'i-revoke1').length === 3);
      expect(tail.closeCode).toBeUndefined();
    }
    expect(await upgradeStatus(t, '', { 'elasticbox-token': doomed.value })).toBe(401);
    expect(await upgradeStatus(t, '', { 'elasticbox-token': kept.value })).toBe(101);
    other.close();
    admin.close();
    await other.until(() => other.closeCode !== undefined);
    await admin.until(() => admin.closeCode !== undefined);
  });

  it('also closes a tail whose token disappears without the route (periodic re-check)', async () => {
    const token = await newToken('deleted behind the route');
    const tail = await openTail(t, '', token.value);
    await welcomed(tail);
    const at = Date.now();
    await t.server.db.deleteFrom('tokens').where('id', '=', token.id).execute();
    expect(await closedWithin(tail, at)).toBeLessThan(5000);
    expect(tail.closeCode).toBe(CloseCode.revoked);
  });

  it('ends a client stream with an authentication error (the CLI exits 4), not endless reconnects', async () => {
    const token = await newToken('client stream');
    const items: EventStreamItem[] = [];
    let connected!: () => void;
    const welcomedOnce = new Promise<void>((resolve) => (connected = resolve));
    const consume = (async () => {
      const stream = streamEvents({ url: t.url, token: token.value, ca: t.server.ca, backoff: { baseMs: 50 } });
      for await (const item of stream) {
        items.push(item);
        if (item.kind === 'connected') connected();
      }
    })();
    await welcomedOnce;
    expect((await t.call('DELETE', `/services/tokens/${token.id}`)).status).toBe(204);
    await expect(consume).rejects.toBeInstanceOf(AuthenticationError);
    expect(items.find((i) => i.kind === 'disconnected')).toMatchObject({
      code: CloseCode.revoked,
      reason: 'token revoked',
    });
  });

  it('stops watching tokens whose tails are gone', async () => {
    const watch = t.server.app.eventLog.hub.credentials;
    const before = watch.size;
    const token = await newToken('watched');
    const tail = await openTail(t, '', token.value);
    await welcomed(tail);
    expect(watch.size).toBe(before + 1);
    tail.close();
    await tail.until(() => tail.closeCode !== undefined);
    const end = Date.now() + 2000;
    while (watch.size > before && Date.now() < end) await new Promise((r) => setTimeout(r, 20));
    expect(watch.size).toBe(before);
  });
});
