/**
 * quality.md A3 for the Watcher channel: a client holding one Watcher's key and password tries to
 * post as another machine, replay a signed frame, send one outside the time tolerance or out of
 * order; the in-process Watcher is handed a config with a bad signature and a replayed one. Each is
 * refused and audited (`watcher.refused` in the workspace stream); revoking one Watcher leaves the
 * others connected.
 */
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { readFileSync } from 'node:fs';
import WebSocket from 'ws';
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../helpers/server.js';
import {
  newKeyPair,
  privateKeyOf,
  publicKeyOf,
  seal,
  verifySignature,
  type Envelope,
} from '../../src/shared/monitoring/signing.js';
import { WATCHER_ENROLL_PATH, WATCHER_PATH } from '../../src/shared/monitoring/watcher-protocol.js';
import { Watcher } from '../../src/watcher/watcher.js';
import { createCheck, eventsOf } from './helpers.js';
import { fastMonitoring, seedMachine, until, type SeededMachine } from './watcher-helpers.js';

let t: TestServer;
let a: SeededMachine;
let b: SeededMachine;
const dirs: string[] = [];

beforeAll(async () => {
  fastMonitoring();
  t = await startTestServer();
  a = await seedMachine(t, ['a3']);
  b = await seedMachine(t, ['a3']);
  dirs.push(a.dir, b.dir);
  await createCheck(t, { name: 'a3-check', command: 'echo OK', interval: 60, target: { tags: ['a3'] } });
});
afterAll(async () => {
  await t.stop();
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

interface Enrolled {
  machine: string;
  username: string;
  password: string;
  key: ReturnType<typeof privateKeyOf>;
  serverKey: string;
}

async function enroll(m: SeededMachine): Promise<Enrolled> {
  const keys = newKeyPair();
  const res = await request(`${t.url}${WATCHER_ENROLL_PATH}`, {
    method: 'POST',
    headers: { authorization: `Bearer ${m.token}`, 'content-type': 'application/json' },
    body: JSON.stringify({ public_key: keys.publicKey }),
    dispatcher: t.dispatcher,
  });
  const body = (await res.body.json()) as any;
  expect(res.statusCode).toBe(201);
  return {
    machine: body.machine,
    username: body.username,
    password: body.password,
    key: privateKeyOf(keys.privateKey),
    serverKey: body.server_key,
  };
}

interface Client {
  ws: WebSocket;
  frames: Envelope[];
  closed: Promise<{ code: number; reason: string }>;
  seq: number;
  send(type: string, payload: unknown, over?: Partial<Envelope>): Envelope;
  raw(e: Envelope): void;
}

function connect(w: Enrolled, password = w.password): Promise<Client | number> {
  return new Promise((resolve) => {
    const auth = Buffer.from(`${w.username}:${password}`).toString('base64');
    const ws = new WebSocket(`${t.url.replace('https', 'wss')}${WATCHER_PATH}`, {
      ca: t.server.ca,
      headers: { authorization: `Basic ${auth}` },
    });
    ws.on('unexpected-response', (_req, res) => {
      resolve(res.statusCode ?? 0);
      ws.terminate();
    });
    ws.on('error', () => undefined); // a refused upgrade also errors: its status is the answer
    const frames: Envelope[] = [];
    ws.on('message', (d) => frames.push(JSON.parse(String(d)) as Envelope));
    const closed = new Promise<{ code: number; reason: string }>((r) =>
      ws.on('close', (code, reason) => r({ code, reason: String(reason) })),
    );
    ws.on('open', () => {
      const c: Client = {
        ws,
        frames,
        closed,
        seq: 0,
        send(type, payload, over = {}) {
          c.seq += 1;
          const e = seal(w.key, {
            type,
            machine: w.machine,
            seq: c.seq,
            sentAt: Date.now(),
            payload: JSON.stringify(payload),
            ...over,
          });
          ws.send(JSON.stringify({ ...e, ...(over.sig !== undefined ? { sig: over.sig } : {}) }));
          return e;
        },
        raw(e) {
          ws.send(JSON.stringify(e));
        },
      };
      resolve(c);
    });
  });
}

async function open(w: Enrolled): Promise<Client> {
  const c = await connect(w);
  if (typeof c === 'number') throw new Error(`connect refused: ${c}`);
  // The server remembers the last seq it accepted: a new connection continues after it.
  const row = await t.server.db
    .selectFrom('watchers')
    .select('last_seq')
    .where('username', '=', w.username)
    .executeTakeFirstOrThrow();
  c.seq = row.last_seq;
  c.send('hello', { version: 'test', ledger: { emitted: 0, dropped: 0 } });
  await until(() => c.frames.find((f) => f.type === 'config'), 10_000, 'config');
  return c;
}

const refusals = async () => (await eventsOf(t, ['watcher.refused'])).map((e) => e.data);
let emitted = 0;
const result = (check: string, status = 0) => ({
  n: ++emitted,
  check,
  status,
  output: 'OK',
  executed: Date.now(),
  durationMs: 1,
  metrics: [],
});

describe('A3 Watcher channel', () => {
  it('signs the config it sends; refuses wrong passwords and other credentials before the upgrade', async () => {
    const w = await enroll(a);
    const c = await open(w);
    const config = c.frames.find((f) => f.type === 'config')!;
    expect(verifySignature(publicKeyOf(w.serverKey), config)).toBe(true);
    expect(JSON.parse(config.payload).checks.map((x: any) => x.name)).toEqual(['a3-check']);
    c.ws.close();
    expect(await connect(w, 'wrong-password')).toBe(401);
    // The machine token is not a Watcher credential.
    const res = await request(`${t.url}${WATCHER_PATH}`, {
      headers: { authorization: `Bearer ${a.token}` },
      dispatcher: t.dispatcher,
    });
    expect(res.statusCode).toBe(401);
    await res.body.dump();
  });

  it('refuses and audits a Watcher posting as another machine', { timeout: 30_000 }, async () => {
    const w = await enroll(a);
    const c = await open(w);
    const checkId = JSON.parse(c.frames.find((f) => f.type === 'config')!.payload).checks[0].id;
    c.send('results', { results: [result(checkId, 2)], ledger: { emitted: 1, dropped: 0 } }, { machine: b.machine });
    expect((await c.closed).code).toBe(1008);
    expect(await refusals()).toContainEqual(
      expect.objectContaining({ machine: a.machine, reason: 'impersonation', by: 'server' }),
    );
    expect((await t.call('GET', `/services/msa/alerts?instance=${b.instance}`)).body).toEqual([]);
  });

  it(
    'refuses a replayed frame, a reordered one, one outside the tolerance, an unsigned and a badly signed one',
    { timeout: 30_000 },
    async () => {
      const w = await enroll(a);
      const cases: [string, (c: Client, checkId: string) => void][] = [
        [
          'replay',
          (c, id) => {
            const e = c.send('results', { results: [result(id)], ledger: { emitted: 1, dropped: 0 } });
            c.raw(e);
          },
        ],
        [
          'reordered',
          (c) => {
            c.send('keepalive', {}, { seq: c.seq + 10 });
            c.send('keepalive', {}, { seq: c.seq + 5 });
          },
        ],
        ['stale', (c) => c.send('keepalive', {}, { sentAt: Date.now() - 10 * 60_000 })],
        ['unsigned', (c) => c.send('keepalive', {}, { sig: '' })],
        ['bad-signature', (c) => c.send('keepalive', {}, { sig: Buffer.alloc(64, 7).toString('base64') })],
      ];
      for (const [reason, act] of cases) {
        const c = await open(w);
        const checkId = JSON.parse(c.frames.find((f) => f.type === 'config')!.payload).checks[0].id;
        act(c, checkId);
        const closed = await c.closed;
        expect(closed, reason).toEqual({ code: 1008, reason: `refused: ${reason}` });
        expect(await refusals(), reason).toContainEqual(
          expect.objectContaining({ watcher: w.username, reason, by: 'server' }),
        );
      }
      // The replayed result was stored once.
      const states = (await t.call('GET', `/services/msa/results?instance=${a.instance}`)).body;
      expect(states.find((s: any) => s.check === 'a3-check').occurrences).toBe(1);
    },
  );

  it(
    'the Watcher refuses a config with a bad signature and a replayed one, keeps its config, and reports both',
    { timeout: 30_000 },
    async () => {
      const watcher = new Watcher({
        server: t.url,
        ca: readFileSync(join(t.dataDir, 'tls', 'ca.pem'), 'utf8'),
        stateDir: join(b.dir, 'lib-state'),
        machineToken: () => b.token,
      });
      const seen: string[] = [];
      await watcher.start();
      try {
        await until(() => watcher.config, 10_000, 'first config');
        const ws = (watcher as any).ws as WebSocket;
        ws.on('message', (d) => seen.push(String(d)));
        // A check change pushes a new, genuine config: capture it.
        await createCheck(t, { name: 'a3-second', command: 'echo OK', interval: 60, target: { tags: ['a3'] } });
        await until(() => watcher.config?.checks.length === 2, 10_000, 'second config');
        const genuine = JSON.parse(seen.find((s) => JSON.parse(s).type === 'config')!) as Envelope;

        const forged = {
          ...genuine,
          seq: genuine.seq + 1,
          sentAt: Date.now(),
          payload: JSON.stringify({ checks: [], keepaliveMs: 100 }),
        };
        (watcher as any).onFrame(JSON.stringify(forged));
        (watcher as any).onFrame(JSON.stringify(genuine));
        expect(watcher.config?.checks.length).toBe(2);
        const byWatcher = await until(
          async () => {
            const r = (await refusals()).filter((x) => x.by === 'watcher' && x.machine === b.machine);
            return r.length >= 2 ? r : undefined;
          },
          10_000,
          'watcher refusals reported',
        );
        expect(byWatcher.map((r) => r.reason)).toEqual(['bad-signature', 'replay']);
      } finally {
        await watcher.stop();
        await t.call('DELETE', '/services/msa/checks/a3-second');
      }
    },
  );

  it(
    'stores a result sent again after a lost ack once (NL-6: accepted counts it once)',
    { timeout: 30_000 },
    async () => {
      const w = await enroll(a);
      const c = await open(w);
      const checkId = JSON.parse(c.frames.find((f) => f.type === 'config')!.payload).checks[0].id;
      const r = result(checkId, 1);
      const r1 = { ...r, n: 1 };
      c.send('results', { results: [r1], ledger: { emitted: 1, dropped: 0 } });
      await until(() => c.frames.find((f) => f.type === 'ack'), 10_000, 'first ack');
      // The same result in a new, validly signed frame (as after a reconnect that lost the ack).
      c.send('results', { results: [r1, { ...r, n: 2 }], ledger: { emitted: 2, dropped: 0 } });
      await until(() => c.frames.filter((f) => f.type === 'ack').length === 2 || undefined, 10_000, 'second ack');
      const row = await t.server.db
        .selectFrom('watchers')
        .selectAll()
        .where('username', '=', w.username)
        .executeTakeFirstOrThrow();
      expect({ accepted: row.accepted, rejected: row.rejected, emitted: row.emitted }).toEqual({
        accepted: 2,
        rejected: 0,
        emitted: 2,
      });
      c.ws.close();
    },
  );

  it('revoking one Watcher closes it and refuses it; the others stay connected', { timeout: 30_000 }, async () => {
    const wa = await enroll(a);
    const wb = await enroll(b);
    const ca = await open(wa);
    const cb = await open(wb);
    expect((await t.call('DELETE', `/services/msa/watchers/${wa.username}`)).status).toBe(204);
    expect((await ca.closed).code).toBe(4001);
    expect(await connect(wa)).toBe(401);
    // The other Watcher's next results are accepted (acknowledged) on the connection it had.
    const checkId = JSON.parse(cb.frames.find((f) => f.type === 'config')!.payload).checks[0].id;
    cb.send('results', { results: [result(checkId)], ledger: { emitted: 1, dropped: 0 } });
    await until(() => cb.frames.find((f) => f.type === 'ack'), 10_000, 'ack of the other Watcher');
    expect(cb.ws.readyState).toBe(WebSocket.OPEN);
    const list = (await t.call('GET', `/services/msa/watchers?instance=${b.instance}`)).body;
    expect(list.find((x: any) => x.username === wb.username)).toMatchObject({ revoked: false });
    expect(JSON.stringify(list)).not.toMatch(/sha256\$|password/);
    cb.ws.close();
  });
});
