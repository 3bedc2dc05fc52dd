import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../helpers/server.js';

/**
 * `/services/openapi.json` describes what every route answers (issue 16): each route's success
 * response has a schema, and no object in it is open-ended without saying what it holds. An object
 * lists its properties (closed), or is a declared map (`patternProperties`, `additionalProperties`
 * with a schema: free-form user data such as a box's profile or an event's data). A new route that
 * answers an open `{}`-like object, or declares no success response, fails here.
 */

/** Routes whose success answer is no JSON document, and why. */
const NO_JSON_BODY: Record<string, string> = {
  'DELETE /services/workspaces/{ws}': '204, no body',
  'DELETE /services/boxes/{id}': '204, no body',
  'DELETE /services/providers/{prov}': '204, no body',
  'DELETE /services/tokens/{id}': '204, no body',
  'DELETE /services/machines/{id}': '204, no body',
  'DELETE /services/organizations/{org}/users/{user}': '204, no body',
  'DELETE /services/workspaces/{ws}/members/{member}': '204, no body',
  'DELETE /services/msa/checks/{check}': '204, no body',
  'DELETE /services/msa/watchers/{watcher}': '204, no body',
  'DELETE /services/session': '204, no body',
  'GET /services/blobs/download/{blob_id}/{file_name}': 'the blob bytes, with their content type',
  'GET /services/agent/agent.mjs': 'the agent program (JavaScript)',
  'GET /services/agent/agent.mjs.sha256': 'sha256sum text',
  'GET /services/agent/bootstrap.sh': 'shell script',
  'GET /services/agent': 'websocket upgrade (426 without one)',
  'GET /services/msa/watcher': 'websocket upgrade (426 without one)',
  'PUT /services/providers/{prov}/sync': '202 with the provider document',
};

type Schema = Record<string, unknown>;

/** Paths (JSON pointer-like) of the open objects in `schema`. */
function openObjects(schema: unknown, path = ''): string[] {
  if (schema === null || typeof schema !== 'object') return [];
  if (Array.isArray(schema)) return schema.flatMap((s, i) => openObjects(s, `${path}/${i}`));
  const s = schema as Schema;
  const out: string[] = [];
  const isObject = s.type === 'object' || s.properties !== undefined;
  const isMap =
    s.patternProperties !== undefined ||
    (s.additionalProperties !== null && typeof s.additionalProperties === 'object');
  if (isObject && !isMap) {
    if (s.properties === undefined || Object.keys(s.properties as Schema).length === 0)
      out.push(`${path} (no properties)`);
    else if (s.additionalProperties === true) out.push(`${path} (additionalProperties: true)`);
  }
  for (const [k, v] of Object.entries(s)) {
    if (k === 'properties' || k === 'patternProperties') {
      for (const [p, sub] of Object.entries(v as Schema)) out.push(...openObjects(sub, `${path}/${p}`));
    } else if (k === 'items' || k === 'anyOf' || k === 'oneOf' || k === 'allOf' || k === 'additionalProperties') {
      out.push(...openObjects(v, `${path}/${k}`));
    }
  }
  return out;
}

describe('OpenAPI responses', () => {
  let t: TestServer;
  let doc: { paths: Record<string, Record<string, { responses?: Record<string, Schema> }>> };
  beforeAll(async () => {
    t = await startTestServer();
    const res = await t.call('GET', '/services/openapi.json', { token: null });
    expect(res.status).toBe(200);
    doc = res.body;
  });
  afterAll(async () => {
    await t.stop();
  });

  const operations = () =>
    Object.entries(doc.paths).flatMap(([path, methods]) =>
      Object.entries(methods)
        .filter(([m]) => ['get', 'put', 'post', 'delete', 'patch'].includes(m))
        .map(([method, op]) => ({ key: `${method.toUpperCase()} ${path}`, op })),
    );

  it('gives every route a closed success response schema', () => {
    const problems: string[] = [];
    let described = 0;
    for (const { key, op } of operations()) {
      const success = Object.entries(op.responses ?? {}).filter(([code]) => /^2/.test(code));
      const schemas = success
        .map(
          ([code, r]) =>
            [
              code,
              (r.content as Record<string, { schema?: unknown }> | undefined)?.['application/json']?.schema,
            ] as const,
        )
        .filter(([, s]) => s !== undefined);
      if (!schemas.length) {
        if (!(key in NO_JSON_BODY)) problems.push(`${key}: no success response schema`);
        continue;
      }
      for (const [code, schema] of schemas) {
        described++;
        for (const where of openObjects(schema)) problems.push(`${key} ${code}: open object at ${where || '/'}`);
      }
    }
    expect(problems).toEqual([]);
    expect(described).toBeGreaterThan(60);
  });

  it('lists only real routes as answering no JSON', () => {
    const keys = new Set(operations().map((o) => o.key));
    expect(Object.keys(NO_JSON_BODY).filter((k) => !keys.has(k))).toEqual([]);
  });

  it('finds an open object when there is one', () => {
    expect(openObjects({ type: 'object', properties: { a: { type: 'object', additionalProperties: true } } })).toEqual([
      '/a (no properties)',
    ]);
    expect(openObjects({ type: 'object', properties: { a: { type: 'string' } }, additionalProperties: true })).toEqual([
      ' (additionalProperties: true)',
    ]);
    expect(openObjects({ type: 'array', items: { type: 'object' } })).toEqual(['/items (no properties)']);
    expect(openObjects({ type: 'object', patternProperties: { '^.*$': {} } })).toEqual([]);
  });
});
