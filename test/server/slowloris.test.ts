/**
 * quality.md B3 `slowloris-and-stalled-upgrade` at CI size: loopback only, a few dozen sockets,
 * listener timeouts shrunk to about a second. Tricklers come from 127.0.0.2 and 127.0.0.3, the
 * legitimate client from 127.0.0.1 (every 127/8 address reaches the server).
 */
import { connect as netConnect, type Socket } from 'node:net';
import { connect as tlsConnect, type ConnectionOptions } from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { DEFAULT_LISTENER, listenerFromEnv } from '../../src/server/http/listener.js';

const CAP = 24;
let t: TestServer;
const open: Socket[] = [];

beforeAll(async () => {
  t = await startTestServer(undefined, {
    listener: {
      headersTimeoutMs: 1000,
      requestTimeoutMs: 2000,
      keepAliveTimeoutMs: 500,
      handshakeTimeoutMs: 1000,
      checkIntervalMs: 200,
      maxUnauthenticatedPerAddress: CAP,
    },
  });
});
afterAll(async () => {
  for (const s of open) s.destroy();
  await t.stop();
});

const port = () => t.server.port;

interface Probe {
  socket: Socket;
  closed: Promise<void>;
  /** Bytes the server answered before closing. */
  received: () => string;
  connected: Promise<boolean>;
}

function probe(socket: Socket, connectEvent: 'connect' | 'secureConnect'): Probe {
  open.push(socket);
  let data = '';
  socket.on('data', (d) => (data += d));
  socket.on('error', () => undefined);
  const closed = new Promise<void>((r) => socket.once('close', () => r()));
  const connected = new Promise<boolean>((r) => {
    socket.once(connectEvent, () => r(true));
    socket.once('close', () => r(false));
  });
  return { socket, closed, connected, received: () => data };
}

/** tls.connect hands `localAddress` to net.connect (Node's types omit it). */
const tlsProbe = (source: string) => {
  const opts: ConnectionOptions & { localAddress: string } = {
    host: '127.0.0.1',
    port: port(),
    ca: t.server.ca,
    localAddress: source,
  };
  return probe(tlsConnect(opts), 'secureConnect');
};

/** Writes one byte of `text` every `ms` until the socket closes; resolves with the bytes written. */
async function trickle(p: Probe, text: string, ms: number): Promise<number> {
  if (!(await p.connected)) return 0;
  let sent = 0;
  let closed = false;
  void p.closed.then(() => (closed = true));
  while (!closed && sent < text.length) {
    p.socket.write(text[sent] as string);
    sent += 1;
    await new Promise((r) => setTimeout(r, ms));
  }
  return sent;
}

async function legitimateCalls(until: Promise<unknown>): Promise<number[]> {
  const statuses: number[] = [];
  let done = false;
  void until.then(() => (done = true));
  while (!done) {
    statuses.push((await t.call('GET', '/services/workspaces')).status);
    await new Promise((r) => setTimeout(r, 50));
  }
  return statuses;
}

describe('B3 slowloris and stalled upgrades (CI size)', () => {
  it('closes tricklers at headersTimeout, stalled handshakes and idle 401 upgrades, while a legitimate client is served', async () => {
    const head = (path: string, extra = '') =>
      `GET ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\n${extra}X-Padding: ${'x'.repeat(400)}\r\n\r\n`;
    const upgrade =
      'Connection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n';

    // 22 sockets from one address, under its cap of 24 (the cap has a test of its own below).
    // 8 plain tricklers and 8 trickled websocket upgrades: one byte per 100 ms (a full head would take > 40 s).
    const plain = Array.from({ length: 8 }, () => tlsProbe('127.0.0.2'));
    const upgrades = Array.from({ length: 8 }, () => tlsProbe('127.0.0.2'));
    const trickled = [
      ...plain.map((p) => trickle(p, head('/services/health'), 100)),
      ...upgrades.map((p) => trickle(p, head('/services/agent', upgrade), 100)),
    ];
    // 3 sockets that never start TLS.
    const silent = Array.from({ length: 3 }, () =>
      probe(netConnect({ host: '127.0.0.1', port: port(), localAddress: '127.0.0.2' }), 'connect'),
    );
    // 3 complete upgrades without a credential: refused with 401 (no 101), then left idle.
    const refused = Array.from({ length: 3 }, () => tlsProbe('127.0.0.2'));
    for (const p of refused) void p.connected.then(() => p.socket.write(head('/services/agent', upgrade)));

    const all = [...plain, ...upgrades, ...silent, ...refused];
    expect(all.length).toBeLessThan(CAP);
    const everyoneClosed = Promise.all(all.map((p) => p.closed));
    const statuses = await legitimateCalls(everyoneClosed);

    const sent = await Promise.all(trickled);
    for (const n of sent) expect(n).toBeLessThan(head('/services/health').length);
    for (const p of [...plain, ...upgrades]) expect(p.received()).toMatch(/^(HTTP\/1\.1 408|$)/);
    for (const p of refused) {
      expect(p.received()).toMatch(/^HTTP\/1\.1 401/);
      expect(p.received()).not.toMatch(/101 Switching/);
    }
    expect(statuses.length).toBeGreaterThan(0);
    expect(statuses.every((s) => s === 200)).toBe(true);
    expect(t.server.app.socketCap.refused).toBe(0);
  }, 30_000);

  it('caps unauthenticated sockets per address at accept; other addresses and authenticated sockets are unaffected', async () => {
    const held = Array.from({ length: CAP + 6 }, () => tlsProbe('127.0.0.3'));
    const connected = await Promise.all(held.map((p) => p.connected));
    expect(connected.filter(Boolean).length).toBe(CAP);
    expect(t.server.app.socketCap.count('127.0.0.3')).toBe(CAP);
    expect(t.server.app.socketCap.refused).toBeGreaterThanOrEqual(6);
    // The legitimate client (127.0.0.1) still gets through, and its authenticated socket is not counted.
    expect((await t.call('GET', '/services/workspaces')).status).toBe(200);
    expect(t.server.app.socketCap.count('127.0.0.1')).toBe(0);
    // The held sockets are released by headersTimeout, and the address may connect again.
    await Promise.all(held.map((p) => p.closed));
    const again = tlsProbe('127.0.0.3');
    expect(await again.connected).toBe(true);
    again.socket.destroy();
  }, 30_000);
});

describe('authenticated sockets', () => {
  it('leave the unauthenticated count: an address holding as many authenticated tails as the cap still connects', async () => {
    const tails = await Promise.all(
      Array.from(
        { length: CAP },
        () =>
          new Promise<WebSocket>((resolve, reject) => {
            const ws = new WebSocket(`${t.url.replace('https', 'wss')}/services/events`, {
              ca: t.server.ca,
              localAddress: '127.0.0.4',
              headers: { 'elasticbox-token': t.token },
            });
            ws.once('open', () => resolve(ws));
            ws.once('error', reject);
          }),
      ),
    );
    try {
      expect(t.server.app.socketCap.count('127.0.0.4')).toBe(0);
      const extra = tlsProbe('127.0.0.4');
      expect(await extra.connected).toBe(true);
      expect(t.server.app.socketCap.count('127.0.0.4')).toBe(1);
      extra.socket.destroy();
    } finally {
      for (const ws of tails) ws.terminate();
    }
  }, 30_000);
});

describe('default listener', () => {
  it('sets header, request and keep-alive timeouts well below Node 20 defaults (60 s, 300 s, 5 s)', async () => {
    const d = await startTestServer();
    try {
      const server = d.server.app.server;
      expect(server.headersTimeout).toBe(DEFAULT_LISTENER.headersTimeoutMs);
      expect(server.headersTimeout).toBeLessThanOrEqual(10_000);
      expect(server.requestTimeout).toBeLessThanOrEqual(60_000);
      expect(server.requestTimeout).toBeGreaterThan(0);
      expect(server.keepAliveTimeout).toBeLessThan(5_000);
    } finally {
      await d.stop();
    }
  });
});

describe('listener tunables from the environment', () => {
  it('reads positive numbers only', () => {
    expect(
      listenerFromEnv({
        EBCLI_HEADERS_TIMEOUT_MS: '1500',
        EBCLI_KEEPALIVE_TIMEOUT_MS: '-1',
        EBCLI_REQUEST_TIMEOUT_MS: 'soon',
        EBCLI_MAX_UNAUTHENTICATED_SOCKETS_PER_ADDRESS: '12',
      }),
    ).toEqual({ headersTimeoutMs: 1500, maxUnauthenticatedPerAddress: 12 });
  });
});
