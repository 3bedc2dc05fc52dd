/**
 * The console as the control plane serves it (issue 15): built by esbuild with the project
 * (dist/console), nothing from another origin, cache headers, compression, and a size budget.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureBuilt } from '../cli/helpers.js';
import { startTestServer, type TestServer } from '../helpers/server.js';

/** Compressed assets the console may ship in all (issue 15). */
const BUDGET_BYTES = 150 * 1024;

let t: TestServer;
beforeAll(async () => {
  ensureBuilt();
  t = await startTestServer();
});
afterAll(async () => t.stop());

const assetsOf = (html: string) => [...html.matchAll(/(?:src|href)="([^"]+)"/g)].map((m) => m[1] as string);

describe('console assets', () => {
  it('serves the page at / without a credential, revalidated on each load, with a strict CSP', async () => {
    const res = await t.call('GET', '/', { token: null });
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toMatch(/^text\/html/);
    expect(res.headers['cache-control']).toBe('no-cache');
    expect(String(res.headers['content-security-policy'])).toMatch(/default-src 'none'/);
    expect(String(res.headers['content-security-policy'])).toMatch(/connect-src 'self'/);
    expect(res.headers['x-content-type-options']).toBe('nosniff');
    const assets = assetsOf(res.text);
    expect(assets.length).toBe(2);
    // Everything from the control plane itself: no CDN, nothing fetched elsewhere.
    for (const a of assets) expect(a).toMatch(/^\/console\/main-[A-Z0-9]+\.(js|css)$/);
  });

  it('serves content-hashed assets cached for a year, compressed as the client accepts, within 150 KB', async () => {
    const page = await t.call('GET', '/', { token: null });
    let total = 0;
    for (const a of [...assetsOf(page.text)]) {
      const br = await t.call('GET', a, { token: null, headers: { 'accept-encoding': 'gzip, deflate, br' } });
      expect(br.status).toBe(200);
      expect(br.headers['content-encoding']).toBe('br');
      expect(br.headers['cache-control']).toBe('public, max-age=31536000, immutable');
      expect(br.headers.vary).toBe('Accept-Encoding');
      const gz = await t.call('GET', a, { token: null, headers: { 'accept-encoding': 'gzip' } });
      expect(gz.headers['content-encoding']).toBe('gzip');
      const plain = await t.call('GET', a, { token: null, headers: { 'accept-encoding': 'identity' } });
      expect(plain.headers['content-encoding']).toBeUndefined();
      expect(Number(br.headers['content-length'])).toBeLessThan(Number(plain.headers['content-length']));
      total += Number(gz.headers['content-length']);
    }
    expect(total).toBeGreaterThan(1000);
    expect(total).toBeLessThanOrEqual(BUDGET_BYTES);
  });

  it('answers 404 for unknown console files and serves nothing outside the build', async () => {
    for (const path of ['/console/nope.js', '/console/..%2Fpackage.json', '/console/index.html']) {
      expect((await t.call('GET', path, { token: null })).status, path).toBe(404);
    }
  });
});
