import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../helpers/server.js';

let t: TestServer;
beforeAll(async () => {
  t = await startTestServer(undefined, { inject: true });
});
afterAll(async () => t.stop());

// The pre-auth allowlist (every route and message classified) is test/server/allowlist.test.ts.
describe('token headers', () => {
  it('rejects a bad token with 401 on both header forms', async () => {
    const forms: Record<string, string>[] = [{ 'elasticbox-token': 'eb_nope' }, { authorization: 'Bearer eb_nope' }];
    for (const headers of forms) {
      const res = await t.call('GET', '/services/workspaces', { token: null, headers });
      expect(res.status).toBe(401);
      expect(res.body.message).toBe('Invalid token');
    }
  });

  it('accepts ElasticBox-Token and Authorization: Bearer for the same token', async () => {
    const a = await t.call('GET', '/services/profile');
    const b = await t.call('GET', '/services/profile', {
      token: null,
      headers: { authorization: `Bearer ${t.token}` },
    });
    expect(a.status).toBe(200);
    expect(b.status).toBe(200);
    expect(a.body).toEqual(b.body);
    expect(a.body).toMatchObject({ id: 'admin', workspace: 'admin', email: 'admin@ebcli.local' });
  });
});

describe('tokens', () => {
  it('shows a new token once, lists it without its value and stores only a hash', async () => {
    const created = await t.call('POST', '/services/tokens', { body: { description: 'ci' } });
    expect(created.status).toBe(200);
    const value: string = created.body.value;
    expect(value).toMatch(/^eb_[A-Za-z0-9_-]{43}$/);
    const list = await t.call('GET', '/services/tokens');
    const listed = list.body.find((x: any) => x.id === created.body.id);
    expect(listed).toMatchObject({ description: 'ci' });
    expect(listed.value).toBeUndefined();
    const rows = await t.server.db.selectFrom('tokens').select(['hash']).execute();
    expect(rows.some((r) => r.hash === value)).toBe(false);
    expect(rows.every((r) => /^[0-9a-f]{64}$/.test(r.hash))).toBe(true);
    const use = await t.call('GET', '/services/profile', { token: value });
    expect(use.status).toBe(200);
  });

  it('revokes a deleted token at once', async () => {
    const created = await t.call('POST', '/services/tokens', { body: {} });
    expect((await t.call('GET', '/services/tokens', { token: created.body.value })).status).toBe(200);
    expect((await t.call('DELETE', `/services/tokens/${created.body.id}`)).status).toBe(204);
    expect((await t.call('GET', '/services/tokens', { token: created.body.value })).status).toBe(401);
    expect((await t.call('DELETE', `/services/tokens/${created.body.id}`)).status).toBe(404);
  });

  it('ignores unknown fields and rejects wrong types', async () => {
    const extra = await t.call('POST', '/services/tokens', { body: { description: 'x', admin: true } });
    expect(extra.status).toBe(200);
    expect(extra.body.admin).toBeUndefined();
    expect(extra.body.description).toBe('x');
    const wrong = await t.call('POST', '/services/tokens', { body: { description: 5 } });
    expect(wrong.status).toBe(400);
    expect(wrong.body.message).toMatch(/description/);
  });

  it('logs in with email and password, answering the raw token', async () => {
    const { readFileSync } = await import('node:fs');
    const password = readFileSync(`${t.dataDir}/admin-password`, 'utf8').trim();
    const res = await t.call('POST', '/services/security/token', {
      token: null,
      body: { email: 'admin@ebcli.local', password },
    });
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toMatch(/^text\/plain/);
    expect((await t.call('GET', '/services/profile', { token: res.text })).status).toBe(200);
    const bad = await t.call('POST', '/services/security/token', {
      token: null,
      body: { email: 'admin@ebcli.local', password: 'wrong' },
    });
    expect(bad.status).toBe(401);
    const nobody = await t.call('POST', '/services/security/token', {
      token: null,
      body: { email: 'x@y', password: 'wrong' },
    });
    expect(nobody.status).toBe(401);
    expect(nobody.body.message).toBe(bad.body.message);
  });
});

describe('malformed requests', () => {
  it('answers broken JSON with 400', async () => {
    const res = await t.call('POST', '/services/workspaces', {
      raw: '{"name": ',
      headers: { 'content-type': 'application/json' },
    });
    expect(res.status).toBe(400);
    expect(res.body.message).toMatch(/JSON/);
  });

  it('answers oversized bodies with 413 and writes nothing', async () => {
    const before = (await t.call('GET', '/services/workspaces')).body.length;
    const res = await t.call('POST', '/services/workspaces', {
      body: { name: 'big', ldap_groups: ['x'.repeat(2 * 1024 * 1024)] },
    });
    expect(res.status).toBe(413);
    expect(res.body.message).toMatch(/too large/i);
    expect((await t.call('GET', '/services/workspaces')).body.length).toBe(before);
  });

  it('answers unsupported media types with 415', async () => {
    const res = await t.call('POST', '/services/workspaces', {
      raw: 'name=x',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
    });
    expect(res.status).toBe(415);
    expect(typeof res.body.message).toBe('string');
  });
});

describe('openapi', () => {
  it('serves a document generated from the route schemas', async () => {
    const res = await t.call('GET', '/services/openapi.json', { token: null });
    expect(res.status).toBe(200);
    expect(res.body.openapi).toMatch(/^3\./);
    const paths = Object.keys(res.body.paths);
    // Every API route; the console's page and assets (GET /, GET /console/:file) are no API.
    const api = t.server.app.routeTable.filter((x) => x.url.startsWith('/services/'));
    for (const r of api.filter((x) => x.url !== '/services/openapi.json')) {
      const openapiPath = r.url.replace(/:([a-z_]+)/g, '{$1}');
      expect(paths, r.url).toContain(openapiPath);
    }
    expect(res.body.paths['/services/workspaces'].post.requestBody).toBeDefined();
  });
});
