import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, request, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkHealth } from '../../src/cli/daemon.js';
import { createDispatcher } from '../../src/client/transport.js';
import { loadUndici } from '../../src/client/transport.js';
import { trustOptions } from '../../src/shared/tls-trust.js';
import { createTestCa, type TestCa } from '../helpers/test-certs.js';

// One trust module (src/shared/tls-trust.ts) for undici, node:https and the daemon's health check:
// the system roots, NODE_EXTRA_CA_CERTS and the profile's CA, together. Each case serves a
// certificate signed by a CA found in only one of those places.
let dir: string;
let profileCa: TestCa;
let extraCa: TestCa;
let strangerCa: TestCa;
const servers: Server[] = [];
const savedExtra = process.env.NODE_EXTRA_CA_CERTS;

async function serve(ca: TestCa): Promise<string> {
  const leaf = await ca.issue(['127.0.0.1']);
  const server = createServer({ cert: leaf.cert, key: leaf.key }, (_req, res) => res.end('ok'));
  servers.push(server);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return `https://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

function httpsGet(url: string, ca: string | undefined): Promise<number | string> {
  return new Promise((resolve) => {
    const req = request(`${url}/services/health`, { ...trustOptions(ca), timeout: 5000 }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    req.on('error', (err) => resolve(err.message));
    req.end();
  });
}

async function undiciGet(url: string, ca: string | undefined): Promise<number | string> {
  const dispatcher = await createDispatcher({ ...(ca ? { ca } : {}), env: process.env });
  const { request: undiciRequest } = await loadUndici();
  try {
    const res = await undiciRequest.call(dispatcher, { origin: url, path: '/services/health', method: 'GET' });
    await res.body.dump();
    return res.statusCode;
  } catch (err) {
    return (err as Error).message;
  } finally {
    await dispatcher.close();
  }
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'ebcli-trust-'));
  [profileCa, extraCa, strangerCa] = await Promise.all([
    createTestCa('profile CA'),
    createTestCa('extra CA'),
    createTestCa('stranger CA'),
  ]);
  writeFileSync(join(dir, 'extra.pem'), extraCa.cert);
  writeFileSync(join(dir, 'profile.pem'), profileCa.cert);
  // Read by the trust module when it builds a context (Node reads it only at start-up).
  process.env.NODE_EXTRA_CA_CERTS = join(dir, 'extra.pem');
});

afterAll(async () => {
  if (savedExtra === undefined) delete process.env.NODE_EXTRA_CA_CERTS;
  else process.env.NODE_EXTRA_CA_CERTS = savedExtra;
  for (const s of servers) await new Promise((r) => s.close(r));
  rmSync(dir, { recursive: true, force: true });
});

describe('one TLS trust', () => {
  it('node:https trusts the profile CA and NODE_EXTRA_CA_CERTS together, and nothing else', async () => {
    const [byProfile, byExtra, byStranger] = await Promise.all([serve(profileCa), serve(extraCa), serve(strangerCa)]);
    expect(await httpsGet(byProfile, profileCa.cert)).toBe(200);
    expect(await httpsGet(byExtra, profileCa.cert)).toBe(200);
    expect(await httpsGet(byStranger, profileCa.cert)).toMatch(/unable to verify|issuer/i);
  });

  it('undici (the client) holds the same trust', async () => {
    const [byProfile, byExtra, byStranger] = await Promise.all([serve(profileCa), serve(extraCa), serve(strangerCa)]);
    expect(await undiciGet(byProfile, profileCa.cert)).toBe(200);
    expect(await undiciGet(byExtra, profileCa.cert)).toBe(200);
    expect(await undiciGet(byStranger, profileCa.cert)).toMatch(/unable to verify|issuer/i);
  });

  it("the daemon's health check trusts its data directory's CA and NODE_EXTRA_CA_CERTS", async () => {
    const caFile = join(dir, 'profile.pem');
    expect(await checkHealth({ url: await serve(profileCa), caFile })).toBe(true);
    expect(await checkHealth({ url: await serve(extraCa), caFile })).toBe(true);
    expect(await checkHealth({ url: await serve(strangerCa), caFile })).toBe(false);
  });
});
