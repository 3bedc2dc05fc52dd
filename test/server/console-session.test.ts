/**
 * Console sign-in (issue 15, quality.md A1 `ws-upgrade-auth`): the session cookie's attributes,
 * CSRF on REST calls, the exact-Origin rule of the event websocket, expiry and sign-out. The
 * cookie-alone refusal on every REST route and the agent channel is in allowlist.test.ts.
 */
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { dataFiles } from '../../src/shared/paths.js';
import { ADMIN_EMAIL } from '../../src/server/bootstrap.js';
import { TAIL_PATH } from '../../src/shared/protocol.js';

let t: TestServer;
let password: string;

beforeAll(async () => {
  t = await startTestServer();
  password = readFileSync(dataFiles(t.dataDir).adminPassword, 'utf8').trim();
});
afterAll(async () => t.stop());

interface Session {
  cookie: string;
  csrf: string;
  setCookie: string;
}

async function signIn(): Promise<Session> {
  const res = await t.call('POST', '/services/session', { token: null, body: { email: ADMIN_EMAIL, password } });
  expect(res.status, res.text).toBe(200);
  const setCookie = String(res.headers['set-cookie']);
  return { cookie: setCookie.split(';')[0] as string, csrf: res.body.csrf, setCookie };
}

/** Opens the event websocket; resolves with the refusal's status, or 101 and the first frame. */
function tail(headers: Record<string, string>): Promise<{ status: number; first?: any }> {
  return new Promise((resolve) => {
    const ws = new WebSocket(`${t.url.replace('https', 'wss')}${TAIL_PATH}`, { ca: t.server.ca, headers });
    ws.on('unexpected-response', (_req, res) => {
      resolve({ status: res.statusCode ?? 0 });
      ws.terminate();
    });
    ws.on('message', (data) => {
      resolve({ status: 101, first: JSON.parse(String(data)) });
      ws.terminate();
    });
    ws.on('error', () => resolve({ status: 0 }));
  });
}

describe('console sign-in', () => {
  it('refuses a wrong password and answers a right one with an HttpOnly, Secure, SameSite=Strict cookie', async () => {
    const bad = await t.call('POST', '/services/session', {
      token: null,
      body: { email: ADMIN_EMAIL, password: 'wrong' },
    });
    expect(bad.status).toBe(401);
    expect(bad.headers['set-cookie']).toBeUndefined();
    const s = await signIn();
    expect(s.setCookie).toMatch(/^eb_session=[A-Za-z0-9_-]{40,}; /);
    expect(s.setCookie).toMatch(/; HttpOnly/);
    expect(s.setCookie).toMatch(/; Secure/);
    expect(s.setCookie).toMatch(/; SameSite=Strict/);
    expect(s.setCookie).toMatch(/; Path=\//);
    expect(s.csrf).toMatch(/^[A-Za-z0-9_-]{20,}$/);
    // The cookie's value is stored only as its hash.
    const rows = await t.server.db.selectFrom('console_sessions').selectAll().execute();
    expect(JSON.stringify(rows)).not.toContain(s.cookie.split('=')[1]);
  });

  it('tells the page who is signed in, and refuses without a cookie or from another origin', async () => {
    const s = await signIn();
    const me = await t.call('GET', '/services/session', { token: null, headers: { cookie: s.cookie } });
    expect(me.status).toBe(200);
    expect(me.body).toMatchObject({ email: ADMIN_EMAIL, workspace: 'admin', csrf: s.csrf });
    expect((await t.call('GET', '/services/session', { token: null })).status).toBe(401);
    const evil = { cookie: s.cookie, origin: 'https://evil.example' };
    expect((await t.call('GET', '/services/session', { token: null, headers: evil })).status).toBe(403);
    const login = await t.call('POST', '/services/session', {
      token: null,
      headers: { origin: 'https://evil.example' },
      body: { email: ADMIN_EMAIL, password },
    });
    expect(login.status).toBe(403);
  });
});

describe('REST calls with a console session', () => {
  it('need the CSRF token: reads and state-changing requests alike', async () => {
    const s = await signIn();
    const withCsrf = { cookie: s.cookie, 'x-csrf-token': s.csrf };
    const list = await t.call('GET', '/services/instances', { token: null, headers: withCsrf });
    expect(list.status).toBe(200);
    expect(Array.isArray(list.body)).toBe(true);
    const sameOrigin = await t.call('GET', '/services/instances', {
      token: null,
      headers: { ...withCsrf, origin: t.url },
    });
    expect(sameOrigin.status).toBe(200);

    const body = { name: 'Console Team' };
    const noCsrf = await t.call('POST', '/services/workspaces', { token: null, headers: { cookie: s.cookie }, body });
    expect(noCsrf.status).toBe(401);
    const wrong = { cookie: s.cookie, 'x-csrf-token': `${s.csrf.slice(1)}x` };
    expect((await t.call('POST', '/services/workspaces', { token: null, headers: wrong, body })).status).toBe(401);
    const crossSite = { ...withCsrf, origin: 'https://evil.example' };
    expect((await t.call('POST', '/services/workspaces', { token: null, headers: crossSite, body })).status).toBe(403);
    const names = async () => (await t.call('GET', '/services/workspaces')).body.map((w: any) => w.name);
    expect(await names()).not.toContain('Console Team');
    const ok = await t.call('POST', '/services/workspaces', { token: null, headers: withCsrf, body });
    expect(ok.status, ok.text).toBeLessThan(300);
    expect(await names()).toContain('Console Team');
  });

  it("cannot borrow another session's CSRF token", async () => {
    const a = await signIn();
    const b = await signIn();
    const res = await t.call('GET', '/services/instances', {
      token: null,
      headers: { cookie: a.cookie, 'x-csrf-token': b.csrf },
    });
    expect(res.status).toBe(401);
  });
});

describe('the event websocket with a console session', () => {
  it('opens only with the exact Origin of the control plane', async () => {
    const s = await signIn();
    const ok = await tail({ cookie: s.cookie, origin: t.url });
    expect(ok.status).toBe(101);
    expect(ok.first).toMatchObject({ type: 'welcome', workspace: 'admin' });
    expect((await tail({ cookie: s.cookie, origin: 'https://evil.example' })).status).toBe(403);
    expect((await tail({ cookie: s.cookie, origin: `${t.url}.evil.example` })).status).toBe(403);
    expect((await tail({ cookie: s.cookie, origin: t.url.replace('https', 'http') })).status).toBe(403);
    expect((await tail({ cookie: s.cookie })).status).toBe(403);
    expect((await tail({ origin: t.url })).status).toBe(401);
  });

  it('takes the allowed origin from EBCLI_CONSOLE_ORIGIN when set, and then only that one', async () => {
    // Read once when the server starts (server/config.ts): a server of its own with the setting.
    const main = t;
    const mainPassword = password;
    process.env.EBCLI_CONSOLE_ORIGIN = 'https://cam.example.test/';
    try {
      t = await startTestServer();
      password = readFileSync(dataFiles(t.dataDir).adminPassword, 'utf8').trim();
      const s = await signIn();
      expect((await tail({ cookie: s.cookie, origin: 'https://cam.example.test' })).status).toBe(101);
      expect((await tail({ cookie: s.cookie, origin: t.url })).status).toBe(403);
    } finally {
      delete process.env.EBCLI_CONSOLE_ORIGIN;
      if (t !== main) await t.stop();
      t = main;
      password = mainPassword;
    }
    const s = await signIn();
    expect((await tail({ cookie: s.cookie, origin: t.url })).status).toBe(101);
  });

  it('leaves the CLI token unchanged: a token needs no Origin', async () => {
    const res = await tail({ authorization: `Bearer ${t.token}` });
    expect(res.status).toBe(101);
    expect(res.first.type).toBe('welcome');
  });
});

/** Opens the event websocket with a session; resolves once it is open (welcome received). */
function openTail(cookie: string): Promise<{ ws: WebSocket; closed: Promise<{ code: number; reason: string }> }> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`${t.url.replace('https', 'wss')}${TAIL_PATH}`, {
      ca: t.server.ca,
      headers: { cookie, origin: t.url },
    });
    const closed = new Promise<{ code: number; reason: string }>((r) =>
      ws.on('close', (code, reason) => r({ code, reason: String(reason) })),
    );
    ws.once('message', () => resolve({ ws, closed }));
    ws.on('unexpected-response', (_req, res) => reject(new Error(`refused: ${res.statusCode}`)));
  });
}

describe('session end', () => {
  it('closes the open event websocket of a session that signs out', async () => {
    const s = await signIn();
    const other = await signIn();
    const { closed } = await openTail(s.cookie);
    const { ws: stays, closed: otherClosed } = await openTail(other.cookie);
    let otherCode: number | undefined;
    void otherClosed.then((c) => (otherCode = c.code));
    const out = await t.call('DELETE', '/services/session', {
      token: null,
      headers: { cookie: s.cookie, 'x-csrf-token': s.csrf },
    });
    expect(out.status).toBe(204);
    expect((await closed).code).toBe(4003);
    // Another session's socket is untouched.
    expect(otherCode).toBeUndefined();
    stays.terminate();
  });

  it('closes the open event websocket of a session when it expires', async () => {
    const s = await signIn();
    await t.server.db
      .updateTable('console_sessions')
      .set({ expires: new Date(Date.now() + 1500).toISOString() })
      .where('csrf', '=', s.csrf)
      .execute();
    const { closed } = await openTail(s.cookie);
    expect((await closed).code).toBe(4003);
  });

  it('an expired session authenticates nothing', async () => {
    const s = await signIn();
    const headers = { cookie: s.cookie, 'x-csrf-token': s.csrf };
    expect((await t.call('GET', '/services/instances', { token: null, headers })).status).toBe(200);
    await t.server.db
      .updateTable('console_sessions')
      .set({ expires: new Date(Date.now() - 1000).toISOString() })
      .where('csrf', '=', s.csrf)
      .execute();
    expect((await t.call('GET', '/services/instances', { token: null, headers })).status).toBe(401);
    expect((await t.call('GET', '/services/session', { token: null, headers })).status).toBe(401);
    expect((await tail({ cookie: s.cookie, origin: t.url })).status).toBe(401);
  });

  it('sign-out needs the CSRF token, clears the cookie and ends the session', async () => {
    const s = await signIn();
    const headers = { cookie: s.cookie, 'x-csrf-token': s.csrf };
    expect((await t.call('DELETE', '/services/session', { token: null, headers: { cookie: s.cookie } })).status).toBe(
      401,
    );
    const out = await t.call('DELETE', '/services/session', { token: null, headers });
    expect(out.status).toBe(204);
    expect(String(out.headers['set-cookie'])).toMatch(/^eb_session=; .*Expires=Thu, 01 Jan 1970/);
    expect((await t.call('GET', '/services/instances', { token: null, headers })).status).toBe(401);
    expect((await t.call('GET', '/services/session', { token: null, headers })).status).toBe(401);
    expect((await tail({ cookie: s.cookie, origin: t.url })).status).toBe(401);
  });
});

describe('sign-in failure budget', () => {
  it('counts console sign-in failures in the same per-account budget as token logins', async () => {
    const account = 'nobody@example.test';
    for (let i = 0; i < 10; i++) {
      const res = await t.call('POST', '/services/session', { token: null, body: { email: account, password: 'x' } });
      expect(res.status).toBe(401);
    }
    const blocked = await t.call('POST', '/services/session', { token: null, body: { email: account, password: 'x' } });
    expect(blocked.status).toBe(429);
    expect(Number(blocked.headers['retry-after'])).toBeGreaterThan(0);
    const viaToken = await t.call('POST', '/services/security/token', {
      token: null,
      body: { email: account, password: 'x' },
    });
    expect(viaToken.status).toBe(429);
  });
});
