import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { seedInstance } from '../cli/helpers.js';
import { createCheck, eventsOf, postResult } from './helpers.js';

let t: TestServer;

beforeAll(async () => {
  t = await startTestServer();
});
afterAll(async () => t.stop());

const ALERT_TYPES = ['alert.open', 'alert.update', 'alert.resolve'];

describe('check results → alerts → event stream', () => {
  it('opens an alert on failure, counts occurrences, escalates, and resolves on recovery', async () => {
    const inst = await seedInstance(t);
    await createCheck(t, { name: 'http-up', command: 'check_http' });
    expect((await postResult(t, inst.id, 'http-up', 0, 'OK: 200')).events).toEqual([]);

    const first = await postResult(t, inst.id, 'http-up', 1, 'WARNING: slow | time=2.5s');
    expect(first.events).toEqual(['alert.open']);
    expect(first.alert).toMatchObject({ state: 'open', severity: 'warning', occurrences: 1, message: 'WARNING: slow' });
    const again = await postResult(t, inst.id, 'http-up', 1, 'WARNING: slow');
    expect(again.events).toEqual([]);
    expect(again.alert).toMatchObject({ id: first.alert.id, occurrences: 2 });
    const worse = await postResult(t, inst.id, 'http-up', 2, 'CRITICAL: down');
    expect(worse.events).toEqual(['alert.update']);
    expect(worse.alert).toMatchObject({ id: first.alert.id, severity: 'critical', occurrences: 1 });

    const open = (await t.call('GET', `/services/msa/alerts?instance=${inst.id}`)).body;
    expect(open.map((a: any) => a.id)).toEqual([first.alert.id]);
    expect((await t.call('GET', '/services/msa/alerts?severity=critical')).body.map((a: any) => a.id)).toContain(
      first.alert.id,
    );
    expect((await t.call('GET', '/services/msa/alerts?severity=warning')).body.map((a: any) => a.id)).not.toContain(
      first.alert.id,
    );

    const ok = await postResult(t, inst.id, 'http-up', 0, 'OK: 200');
    expect(ok.events).toEqual(['alert.resolve']);
    expect(ok.alert).toMatchObject({ id: first.alert.id, state: 'resolved' });
    expect((await t.call('GET', `/services/msa/alerts?instance=${inst.id}`)).body).toEqual([]);
    expect((await t.call('GET', `/services/msa/alerts?instance=${inst.id}&state=resolved`)).body).toHaveLength(1);

    const events = (await eventsOf(t, ALERT_TYPES)).filter((e) => e.instance === inst.id);
    expect(events.map((e) => [e.type, e.data.status, e.data.severity])).toEqual([
      ['alert.open', 'warning', 'warning'],
      ['alert.update', 'critical', 'critical'],
      ['alert.resolve', 'ok', 'critical'],
    ]);
    expect(events[0].data).toMatchObject({ alert: first.alert.id, check: 'http-up', message: 'WARNING: slow' });
  });

  it('detects flapping: one alert stays open, marked flapping, until the check settles', async () => {
    const inst = await seedInstance(t);
    await createCheck(t, { name: 'flappy', command: 'flappy', flap: { low: 10, high: 30 } });
    let last: any;
    const statuses = [0, 2, 0, 2, 0, 2, 0, 2, 0, 2];
    for (const s of statuses) last = await postResult(t, inst.id, 'flappy', s, s ? 'CRITICAL' : 'OK');
    expect(last.flapping).toBe(true);
    expect(last.alert).toMatchObject({ state: 'open', flapping: true });

    let events = (await eventsOf(t, ALERT_TYPES)).filter((e) => e.instance === inst.id);
    const opens = events.filter((e) => e.type === 'alert.open').length;
    const resolves = events.filter((e) => e.type === 'alert.resolve').length;
    expect(events.some((e) => e.type === 'alert.update' && e.data.flapping === true)).toBe(true);
    // Before flapping was detected the alert opened and resolved with the changes; after it, no more.
    const flapAt = events.findIndex((e) => e.data.flapping === true);
    expect(events.slice(flapAt + 1).filter((e) => e.type !== 'alert.update')).toEqual([]);
    expect(opens - resolves).toBe(1);

    // Steady OK results bring the percent state change under the low threshold: the alert resolves.
    for (let i = 0; i < 20 && last.alert?.state !== 'resolved'; i++)
      last = await postResult(t, inst.id, 'flappy', 0, 'OK');
    expect(last.flapping).toBe(false);
    expect(last.alert.state).toBe('resolved');
    events = (await eventsOf(t, ALERT_TYPES)).filter((e) => e.instance === inst.id);
    expect(events.at(-1)).toMatchObject({ type: 'alert.resolve', data: { flapping: false } });
  });

  it('acknowledges open alerts only', async () => {
    const inst = await seedInstance(t);
    await createCheck(t, { name: 'ackable', command: 'x' });
    const { alert } = await postResult(t, inst.id, 'ackable', 2, 'CRITICAL');
    const ack = await t.call('PUT', `/services/msa/alerts/${alert.id}/ack`);
    expect(ack.status).toBe(200);
    expect(ack.body).toMatchObject({ acknowledged: true, acknowledged_by: expect.any(String) });
    expect((await t.call('GET', `/services/msa/alerts?instance=${inst.id}`)).body[0].acknowledged).toBe(true);
    // The acknowledgement is an event of its own, so consoles and `events -f` see it live.
    const acked = (await eventsOf(t, ['alert.ack'])).filter((e) => e.instance === inst.id);
    expect(acked.map((e) => e.data)).toEqual([
      expect.objectContaining({ alert: alert.id, check: 'ackable', by: ack.body.acknowledged_by }),
    ]);
    await postResult(t, inst.id, 'ackable', 0, 'OK');
    const late = await t.call('PUT', `/services/msa/alerts/${alert.id}/ack`);
    expect(late.status).toBe(400);
    expect(late.body.message).toMatch(/resolved/);
    expect((await t.call('PUT', '/services/msa/alerts/no-such-alert/ack')).status).toBe(404);
  });

  it('a silence keeps alerts recorded but out of the stream until it expires', async () => {
    const inst = await seedInstance(t);
    await createCheck(t, { name: 'noisy', command: 'x' });
    const { alert } = await postResult(t, inst.id, 'noisy', 2, 'CRITICAL');
    const silence = await t.call('PUT', `/services/msa/alerts/${alert.id}/silence`, { body: { duration: '2s' } });
    expect(silence.status).toBe(200);
    expect(silence.body).toMatchObject({ silenced: true, silenced_until: expect.any(String) });
    const silenced = (await eventsOf(t, ['alert.silence'])).filter((e) => e.instance === inst.id);
    expect(silenced.map((e) => e.data)).toEqual([
      expect.objectContaining({ alert: alert.id, check: 'noisy', until: silence.body.silenced_until }),
    ]);
    const bad = await t.call('PUT', `/services/msa/alerts/${alert.id}/silence`, { body: { duration: 'forever' } });
    expect(bad.status).toBe(400);

    const resolved = await postResult(t, inst.id, 'noisy', 0, 'OK');
    expect(resolved).toMatchObject({ events: [], alert: { state: 'resolved' } });
    const reopened = await postResult(t, inst.id, 'noisy', 2, 'CRITICAL again');
    expect(reopened).toMatchObject({ events: [], alert: { state: 'open', silenced: true } });
    expect((await t.call('GET', `/services/msa/results?instance=${inst.id}`)).body[0].silenced_until).toBe(
      silence.body.silenced_until,
    );

    // Wait for the expiry (a positive signal: the server's own clock passes silenced_until).
    const until = Date.parse(`${String(silence.body.silenced_until).replace(' ', 'T')}Z`);
    await new Promise((r) => setTimeout(r, Math.max(0, until - Date.now()) + 50));
    const after = await postResult(t, inst.id, 'noisy', 0, 'OK');
    expect(after.events).toEqual(['alert.resolve']);
    const events = (await eventsOf(t, ALERT_TYPES)).filter((e) => e.instance === inst.id);
    expect(events.map((e) => e.type)).toEqual(['alert.open', 'alert.resolve']);
    expect(events[1].data.message).toBe('OK');
  });
});
