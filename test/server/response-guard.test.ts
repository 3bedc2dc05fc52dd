import { Type } from '@sinclair/typebox';
import Fastify, { type FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { registerResponseGuard, strictSchema } from '../../src/server/http/response-guard.js';
import { validatorOptions } from '../../src/server/http/validation.js';

/**
 * The test-mode response guard (src/server/http/response-guard.ts) on a tiny fastify app with the
 * server's serializer options: a field the response schema does not list, a wrong type, a value the
 * serializer would change, and a spliced JSON text each fail the request with a 500 naming the route,
 * the status and the field; a response that matches passes untouched, free-form maps included.
 */
const Thing = Type.Object({
  id: Type.String(),
  count: Type.Number(),
  nested: Type.Optional(Type.Object({ name: Type.String() })),
  // Free-form on purpose: a declared map stays open.
  meta: Type.Optional(Type.Record(Type.String(), Type.Unknown())),
  either: Type.Optional(
    Type.Union([Type.Object({ a: Type.String() }), Type.Object({ a: Type.String(), b: Type.Number() })]),
  ),
});

describe('response guard', () => {
  let app: FastifyInstance;
  let body: unknown;
  beforeAll(async () => {
    app = Fastify({ ...validatorOptions() });
    registerResponseGuard(app);
    app.get('/thing', { schema: { response: { 200: Thing } } }, async () => body);
    app.get('/things', { schema: { response: { 200: Type.Array(Thing) } } }, async (_req, reply) =>
      reply.type('application/json; charset=utf-8').send(JSON.stringify(body)),
    );
    app.get('/undescribed', async () => body);
    app.get('/hidden', { schema: { hide: true } }, async () => body);
    await app.ready();
  });
  afterAll(async () => {
    await app.close();
  });

  const get = async (url: string, value: unknown) => {
    body = value;
    const res = await app.inject({ method: 'GET', url });
    return { status: res.statusCode, json: res.json() as Record<string, unknown> };
  };

  it('lets a response that matches its schema through, free-form maps included', async () => {
    const doc = { id: 'a', count: 1, nested: { name: 'n' }, meta: { anything: [1, { x: true }] } };
    expect(await get('/thing', doc)).toEqual({ status: 200, json: doc });
  });

  it('fails a field the schema does not list, naming route, status and path', async () => {
    const res = await get('/thing', { id: 'a', count: 1, nested: { name: 'n', extra: 2 } });
    expect(res.status).toBe(500);
    expect(res.json.message).toMatch(/GET \/thing \(200\).*\/nested\/extra is not in the schema/);
    const top = await get('/thing', { id: 'a', count: 1, colour: 'red' });
    expect(top.json.message).toMatch(/\/colour is not in the schema/);
  });

  it('fails a wrong type', async () => {
    const res = await get('/thing', { id: 'a', count: '1' });
    expect(res.status).toBe(500);
    expect(res.json.message).toMatch(/GET \/thing \(200\).*\/count must be number/);
  });

  it('fails what the serializer would change (a union branch that drops a field)', async () => {
    const res = await get('/thing', { id: 'a', count: 1, either: { a: 'x', b: 2 } });
    expect(res.status).toBe(500);
    expect(res.json.message).toMatch(/GET \/thing \(200\): the serializer changed \/either\/b/);
  });

  it('checks JSON text a handler sends as it is', async () => {
    expect((await get('/things', [{ id: 'a', count: 1 }])).status).toBe(200);
    const res = await get('/things', [{ id: 'a', count: 1, stray: true }]);
    expect(res.status).toBe(500);
    expect(res.json.message).toMatch(/GET \/things \(200\).*\/0\/stray is not in the schema/);
  });

  it('fails a JSON success answer of a route that describes none, unless the route is hidden', async () => {
    const res = await get('/undescribed', { a: 1 });
    expect(res.status).toBe(500);
    expect(res.json.message).toMatch(/GET \/undescribed \(200\) has no response schema/);
    expect(await get('/hidden', { a: 1 })).toEqual({ status: 200, json: { a: 1 } });
  });

  it('closes every listed-properties object, an explicitly open one too, but not a declared map', () => {
    const open = Type.Object({ id: Type.String() }, { additionalProperties: true });
    expect(strictSchema(open)).toMatchObject({ additionalProperties: false });
    const map = strictSchema(Type.Record(Type.String(), Type.String())) as Record<string, unknown>;
    expect(map.additionalProperties).not.toBe(false);
  });
});
