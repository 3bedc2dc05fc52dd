import { AjvCompiler } from '@fastify/ajv-compiler';
import { SerializerSelector } from '@fastify/fast-json-stringify-compiler';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AJV } from '../../src/server/http/validation.js';
import { startTestServer, type TestServer } from '../helpers/server.js';

/**
 * Route validators compile on their first request (src/server/validation.ts: a cold start no
 * longer compiles every schema). A schema Ajv cannot compile would then fail only when its route
 * is first called; this test compiles every route's request schemas the way fastify would. The
 * same holds for response serializers (fast-json-stringify), compiled on a route's first response.
 */
describe('route schemas', () => {
  let t: TestServer;
  beforeAll(async () => {
    t = await startTestServer();
  });
  afterAll(async () => {
    await t.stop();
  });

  it('all compile with the options the server validates with', () => {
    const build = (AjvCompiler() as unknown as (ext: unknown, o: object) => (r: object) => unknown)(
      {},
      { customOptions: AJV },
    );
    const routes = t.server.app.routeTable.filter((r) => r.schema);
    expect(routes.length).toBeGreaterThan(20);
    let compiled = 0;
    for (const route of routes) {
      for (const httpPart of ['body', 'querystring', 'params', 'headers']) {
        const schema = route.schema![httpPart];
        if (!schema) continue;
        const validate = build({ schema, method: route.method, url: route.url, httpPart });
        expect(typeof validate, `${route.method} ${route.url} ${httpPart}`).toBe('function');
        compiled++;
      }
    }
    expect(compiled).toBeGreaterThan(20);
  });

  it("all response schemas compile with fastify's serializer compiler", () => {
    const build = (SerializerSelector() as unknown as (ext: unknown, o: object) => (r: object) => unknown)({}, {});
    let compiled = 0;
    for (const route of t.server.app.routeTable) {
      const response = route.schema?.response as Record<string, object> | undefined;
      for (const [httpStatus, schema] of Object.entries(response ?? {})) {
        const serialize = build({ schema, method: route.method, url: route.url, httpStatus });
        expect(typeof serialize, `${route.method} ${route.url} ${httpStatus}`).toBe('function');
        compiled++;
      }
    }
    expect(compiled).toBeGreaterThan(20);
  });

  it('still refuses a bad body with the first request to a route', async () => {
    const r = await t.call('POST', '/services/workspaces', { body: { name: 42 } });
    expect(r.status).toBe(400);
    const ok = await t.call('POST', '/services/workspaces', { body: { name: 'lazy-schemas', extra: 'dropped' } });
    expect(ok.status, ok.text).toBeLessThan(300);
  });
});
