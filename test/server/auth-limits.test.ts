import { readFileSync } from 'node:fs';
import { request as httpsRequest } from 'node:https';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { addUser } from '../helpers/users.js';
import { FailureLimiter, TooManyAttempts } from '../../src/server/auth/limits.js';
import { dataFiles } from '../../src/shared/paths.js';

const WINDOW = { windowMs: 60_000 };
let t: TestServer;
let password: string;

beforeAll(async () => {
  t = await startTestServer(undefined, {
    authLimits: {
      loginPerAddress: { max: 5, ...WINDOW },
      loginPerAccount: { max: 3, ...WINDOW },
      tokenPerAddress: { max: 4, ...WINDOW },
      machineTokenPerAddress: { max: 3, ...WINDOW },
    },
  });
  password = readFileSync(dataFiles(t.dataDir).adminPassword, 'utf8').trim();
  await addUser(t, 'bob');
});
afterAll(async () => {
  await t.stop();
});

/** A request from a given loopback source address (127.0.0.0/8 all reach the server). */
function from(
  source: string,
  method: string,
  path: string,
  opts: { body?: unknown; headers?: Record<string, string> } = {},
): Promise<{ status: number; retryAfter?: string; text: string }> {
  const headers = { ...opts.headers, ...(opts.body ? { 'content-type': 'application/json' } : {}) };
  return new Promise((resolve, reject) => {
    const req = httpsRequest(
      `${t.url}${path}`,
      { method, headers, ca: t.server.ca, localAddress: source, agent: false },
      (res) => {
        let text = '';
        res.on('data', (d) => (text += d));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, retryAfter: res.headers['retry-after'], text }));
      },
    );
    req.on('error', reject);
    req.end(opts.body ? JSON.stringify(opts.body) : undefined);
  });
}

const login = (source: string, email: string, pw: string) =>
  from(source, 'POST', '/services/security/token', { body: { email, password: pw } });

function expectRetryAfter(res: { status: number; retryAfter?: string }) {
  expect(res.status).toBe(429);
  const seconds = Number(res.retryAfter);
  expect(Number.isInteger(seconds)).toBe(true);
  expect(seconds).toBeGreaterThan(0);
  expect(seconds).toBeLessThanOrEqual(60);
}

describe('password login', () => {
  it('is limited per account, across addresses, and per address, across accounts', async () => {
    for (let i = 0; i < 3; i++) expect((await login('127.0.0.1', 'admin@ebcli.local', 'wrong')).status).toBe(401);
    // The account's budget is spent: even the right password waits, from any address.
    expectRetryAfter(await login('127.0.0.1', 'admin@ebcli.local', password));
    expectRetryAfter(await login('127.0.0.2', 'ADMIN@ebcli.local', password));
    // Another account from another address is untouched.
    expect((await login('127.0.0.2', 'bob@example.test', 'bob-password')).status).toBe(200);
    // 127.0.0.1 spends the rest of its address budget (5) on an unknown account …
    for (let i = 0; i < 2; i++) expect((await login('127.0.0.1', 'nobody@example.test', 'x')).status).toBe(401);
    // … and then no account may log in from it.
    expectRetryAfter(await login('127.0.0.1', 'bob@example.test', 'bob-password'));
    expect((await login('127.0.0.2', 'bob@example.test', 'bob-password')).status).toBe(200);
  });

  it('does not count successful logins', async () => {
    for (let i = 0; i < 6; i++) expect((await login('127.0.0.3', 'bob@example.test', 'bob-password')).status).toBe(200);
  });
});

describe('token authentication', () => {
  it('limits unknown tokens per address; a valid token from that address then waits too', async () => {
    const bad = { 'elasticbox-token': 'eb_guess' };
    for (let i = 0; i < 4; i++)
      expect((await from('127.0.0.4', 'GET', '/services/workspaces', { headers: bad })).status).toBe(401);
    expectRetryAfter(
      await from('127.0.0.4', 'GET', '/services/workspaces', { headers: { authorization: `Bearer ${t.token}` } }),
    );
    expect(
      (await from('127.0.0.5', 'GET', '/services/workspaces', { headers: { 'elasticbox-token': t.token } })).status,
    ).toBe(200);
  });

  it('does not count requests without a token', async () => {
    for (let i = 0; i < 8; i++) expect((await from('127.0.0.6', 'GET', '/services/workspaces')).status).toBe(401);
    expect(
      (await from('127.0.0.6', 'GET', '/services/workspaces', { headers: { 'elasticbox-token': t.token } })).status,
    ).toBe(200);
  });

  it('limits unknown machine tokens on the agent endpoint per address, apart from user tokens', async () => {
    const bad = { authorization: 'Bearer eb_not-a-machine' };
    for (let i = 0; i < 3; i++)
      expect((await from('127.0.0.7', 'GET', '/services/agent', { headers: bad })).status).toBe(401);
    expectRetryAfter(await from('127.0.0.7', 'GET', '/services/agent', { headers: bad }));
    expect(
      (await from('127.0.0.7', 'GET', '/services/workspaces', { headers: { 'elasticbox-token': t.token } })).status,
    ).toBe(200);
  });
});

describe('FailureLimiter', () => {
  it('opens again when the window ends, and remembers a bounded number of keys', () => {
    let now = 1_000_000;
    const limiter = new FailureLimiter({ max: 2, windowMs: 10_000 }, 3, () => now);
    limiter.fail('a');
    limiter.fail('a');
    expect(() => limiter.check('a')).toThrow(TooManyAttempts);
    now += 4_000;
    try {
      limiter.check('a');
    } catch (err) {
      expect((err as TooManyAttempts).retryAfterSeconds).toBe(6);
    }
    now += 6_000;
    expect(() => limiter.check('a')).not.toThrow();
    for (const k of ['k1', 'k2', 'k3', 'k4']) {
      limiter.fail(k);
      limiter.fail(k);
    }
    // k1 was forgotten to keep at most 3 keys; the newest ones are still limited.
    expect(() => limiter.check('k1')).not.toThrow();
    expect(() => limiter.check('k4')).toThrow(TooManyAttempts);
  });
});
