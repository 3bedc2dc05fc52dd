import { SerializerSelector } from '@fastify/fast-json-stringify-compiler';
import { Type } from '@sinclair/typebox';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { documentArrayText } from '../../src/server/store/docs.js';
import { InstanceDocSchema } from '../../src/shared/documents/instances.js';
import { insertInstance, type InstanceDoc } from '../../src/server/instances/store.js';
import { benchInstanceDoc } from '../../bench/lib/fixtures.js';
import { startTestServer, type TestServer } from '../helpers/server.js';

/**
 * `GET /services/instances` (and a workspace's instances) answers the stored documents' text spliced into an array (T14, issue
 * 12) when each begins with id, uri and schema, else the parsed documents through the response
 * schema. Either way the client reads the same documents: the serializer, given the spliced
 * documents, writes the same JSON (the closed instance schema, issue 16, lists every field, so it
 * drops nothing; it writes the fields in the schema's order, the order a deploy stores them in).
 */
const serialize = (SerializerSelector() as unknown as (e: unknown, o: object) => (r: object) => (d: unknown) => string)(
  {},
  {},
)({ schema: Type.Array(InstanceDocSchema), method: 'GET', url: '/services/instances', httpStatus: '200' });

describe('instances list text', () => {
  let t: TestServer;
  beforeAll(async () => {
    t = await startTestServer();
  });
  afterAll(async () => {
    await t.stop();
  });

  it('splices only documents that begin with id, uri and schema as strings', () => {
    const a = JSON.stringify({ id: 'a', uri: '/a', schema: 's', n: 1 });
    const escaped = JSON.stringify({ id: 'q"\\\u2028\ud800', uri: '/b', schema: 's' });
    expect(documentArrayText([a, escaped])).toBe(`[${a},${escaped}]`);
    expect(documentArrayText([])).toBe('[]');
    expect(documentArrayText([a, JSON.stringify({ uri: '/c', id: 'c', schema: 's' })])).toBeUndefined();
    expect(documentArrayText([JSON.stringify({ id: 1, uri: '/d', schema: 's' })])).toBeUndefined();
    expect(documentArrayText([JSON.stringify({ id: 'e', uri: '/e', schemas: 's' })])).toBeUndefined();
  });

  it('answers the bytes the response schema makes, spliced or not', async () => {
    const docs: InstanceDoc[] = [];
    for (let i = 0; i < 3; i++) {
      const doc = benchInstanceDoc(i);
      // Text the splice must carry unchanged: escapes, non-ASCII, nesting, nulls.
      doc.variables = [{ name: 'v', type: 'Text', value: 'é "quoted" \\ \n\t\u0001 😀' }];
      doc.icon = null;
      docs.push(doc);
      await insertInstance(t.server.db, doc, null);
    }
    const spliced = await t.call('GET', '/services/instances');
    expect(spliced.status).toBe(200);
    expect(spliced.headers['content-type']).toBe('application/json; charset=utf-8');
    expect(JSON.parse(serialize(JSON.parse(spliced.text)))).toEqual(JSON.parse(spliced.text));
    const inWorkspace = await t.call('GET', '/services/workspaces/admin/instances');
    expect(inWorkspace.headers['content-type']).toBe('application/json; charset=utf-8');
    expect(inWorkspace.text).toBe(spliced.text);
    expect((JSON.parse(spliced.text) as InstanceDoc[]).map((d) => d.id)).toEqual(
      expect.arrayContaining(docs.map((d) => d.id)),
    );

    // A document stored with its keys in another order: the list is serialised by the schema.
    const { id, uri, schema, ...rest } = benchInstanceDoc(9);
    const reordered = { ...rest, schema, uri, id } as InstanceDoc;
    await insertInstance(t.server.db, reordered, null);
    const serialized = await t.call('GET', '/services/instances');
    expect(serialized.status).toBe(200);
    const parsed = JSON.parse(serialized.text) as InstanceDoc[];
    expect(serialized.text).toBe(serialize(parsed));
    expect(serialized.headers['content-type']).toBe('application/json; charset=utf-8');
    expect(parsed).toHaveLength(docs.length + 1);
    expect(Object.keys(parsed.find((d) => d.id === id)!).slice(0, 4)).toEqual(['id', 'uri', 'schema', 'name']);
    expect((await t.call('GET', '/services/workspaces/admin/instances')).text).toBe(serialized.text);
    const filtered = await t.call('GET', '/services/workspaces/admin/instances?service=eb-bench');
    expect(filtered.text).toBe(serialized.text);
    expect((await t.call('GET', '/services/workspaces/admin/instances?service=none')).text).toBe('[]');
  });
});
