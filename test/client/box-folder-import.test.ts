import { randomUUID } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  ApplicationDocumentError,
  exportBoxTree,
  importBoxTree,
  parseApplicationDocument,
  readBoxFolder,
  type BlobRef,
  type BoxImportApi,
  type RemoteBox,
} from '../../src/client/box-folder/index.js';
import { EXAMPLES, copyExamples, md5, tempDir } from './box-folder-fixtures.js';

const CHILD_ID = '57948f2a-38a3-4845-93cd-d37da282c274';
const HELLO_ID = '2831b79d-2fac-4f48-86e8-a813c84fa833';
const SERVICE_ID = '4944954c-a359-4782-b9ba-3eddcdc4ba44';

const EDITABLE = ['name', 'description', 'icon', 'files', 'variables', 'ports', 'requirements', 'events', 'members'];
const KIND_FIELDS = ['profile', 'provider_id', 'claims', 'lifespan', 'dockerfile', 'services', 'type', 'template'];
const REF_KEYS = new Set(['url', 'upload_date', 'length', 'destination_path', 'content_type']);
const VARIABLE_KEYS = new Set([
  'name',
  'type',
  'value',
  'required',
  'visibility',
  'scope',
  'options',
  'automatic_updates',
  'tags',
]);

/** Throws like the server's schema (additionalProperties: false) on unknown keys of refs and variables. */
function checkShape(doc: Record<string, unknown>): void {
  const refs = [...Object.values((doc.events ?? {}) as object), doc.readme].filter(Boolean) as object[];
  for (const ref of refs) for (const k of Object.keys(ref)) if (!REF_KEYS.has(k)) throw new Error(`400: ref key ${k}`);
  for (const v of (doc.variables ?? []) as object[])
    for (const k of Object.keys(v)) if (!VARIABLE_KEYS.has(k)) throw new Error(`400: variable key ${k}`);
}

/**
 * An in-memory fake of the CAM server's box and blob endpoints: the server is an outside dependency
 * of this library, so the unit tests use a fake with the server's rules (POST ignores `id`, PUT
 * applies only the editable fields, so not `readme`); the real client and server meet in e2e tests.
 */
class FakeCam implements BoxImportApi {
  readonly boxes = new Map<string, RemoteBox>();
  readonly blobs = new Map<string, Buffer>();
  readonly calls: string[] = [];
  getBlobMd5?: (url: string) => Promise<string | undefined>;

  constructor(opts: { md5?: boolean } = {}) {
    if (opts.md5) this.getBlobMd5 = async (url) => (this.blobs.has(url) ? md5(this.blobs.get(url)!) : undefined);
  }

  async uploadBlob(name: string, bytes: Buffer, contentType: string): Promise<BlobRef> {
    this.calls.push(`upload ${name}`);
    const url = `/services/blobs/download/${randomUUID().replace(/-/g, '').slice(0, 24)}/${name}`;
    this.blobs.set(url, Buffer.from(bytes));
    return { url, length: bytes.length, content_type: contentType, upload_date: '2024-01-01 00:00:00.000000' };
  }
  async getBox(id: string) {
    return structuredClone(this.boxes.get(id));
  }
  async findBoxByName(workspace: string, name: string) {
    const found = [...this.boxes.values()].find((b) => b.owner === workspace && b.name === name && !b.version);
    return structuredClone(found);
  }
  async createBox(doc: Record<string, unknown>) {
    checkShape(doc);
    this.calls.push(`create ${String(doc.name)}`);
    const id = randomUUID();
    const box = { ...doc, id, uri: `/services/boxes/${id}` } as unknown as RemoteBox;
    this.boxes.set(id, box);
    return structuredClone(box);
  }
  private apply(id: string, doc: Record<string, unknown>): RemoteBox {
    checkShape(doc);
    const box = structuredClone(this.boxes.get(id)!) as Record<string, unknown>;
    for (const k of [...EDITABLE, ...KIND_FIELDS]) if (doc[k] !== undefined) box[k] = structuredClone(doc[k]);
    return box as RemoteBox;
  }
  async updateBox(id: string, doc: Record<string, unknown>) {
    this.calls.push(`update ${String(doc.name)}`);
    const box = this.apply(id, doc);
    this.boxes.set(id, box);
    return structuredClone(box);
  }
  async createVersion(id: string, doc: Record<string, unknown>) {
    const box = { ...this.apply(id, doc), id: randomUUID(), version: doc.version } as RemoteBox;
    const n = box.version!.number;
    this.calls.push(`version ${box.name} ${n.major}.${n.minor}.${n.patch}`);
    this.boxes.set(box.id, box);
    return structuredClone(box);
  }
  async listVersions(id: string) {
    return [...this.boxes.values()].filter((b) => b.version?.box === id);
  }
}

describe('importBoxTree', () => {
  it('imports children before parents and rewrites Box values to the remote ids', async () => {
    const api = new FakeCam();
    const result = await importBoxTree(api, join(EXAMPLES, 'Nested Parent'), { workspace: 'ops' });
    expect(api.calls.filter((c) => !c.startsWith('upload'))).toEqual([
      'create Nested Child',
      'create Nested Parent',
      'update Nested Child',
      'update Nested Parent',
    ]);
    expect(api.calls.filter((c) => c.startsWith('upload'))).toHaveLength(20);
    const [child, parent] = result.boxes;
    expect(child).toMatchObject({ name: 'Nested Child', action: 'created', localId: CHILD_ID, uploaded: 10 });
    expect(result.id).toBe(parent!.id);
    const stored = api.boxes.get(parent!.id)!;
    expect(stored.owner).toBe('ops');
    expect(stored.variables!.find((x) => x.name === 'child')!.value).toBe(child!.id);
    expect(Object.keys(stored.events!)).toHaveLength(10);
    const script = api.blobs.get(stored.events!.install!.url)!;
    expect(script.toString()).toContain('Nested Parent:install');
  });

  it('creates a version of a changed box and uploads only the files that changed', async () => {
    const api = new FakeCam({ md5: true });
    const dir = join(await copyExamples(), 'Hello Web');
    const first = await importBoxTree(api, dir, { workspace: 'ops' });
    expect(first.boxes[0]).toMatchObject({ action: 'created', localId: HELLO_ID, uploaded: 5, reused: 0 });
    // The readme is only accepted with the POST; the events follow with the PUT.
    expect(api.calls).toEqual([
      'upload readme.MD',
      'create Hello Web',
      'upload dispose',
      'upload install',
      'upload start',
      'upload stop',
      'update Hello Web',
    ]);
    expect(api.blobs.get(api.boxes.get(first.id)!.readme!.url)!.toString()).toContain('# Hello Web');

    api.calls.length = 0;
    const again = await importBoxTree(api, dir, { workspace: 'ops' });
    expect(again.boxes[0]).toMatchObject({ id: first.id, action: 'unchanged', uploaded: 0, reused: 4 });
    expect(api.calls).toEqual([]);

    await writeFile(join(dir, 'events', 'stop'), '#!/bin/bash\necho changed\n');
    const changed = await importBoxTree(api, dir, { workspace: 'ops', comment: 'new stop' });
    expect(api.calls).toEqual(['upload stop', 'update Hello Web', 'version Hello Web 0.0.0']);
    expect(changed.boxes[0]).toMatchObject({ action: 'versioned', uploaded: 1, reused: 3 });
    expect(api.boxes.get(changed.boxes[0]!.versionId!)!.version!.description).toBe('new stop');

    await writeFile(join(dir, 'events', 'stop'), '#!/bin/bash\necho twice\n');
    api.calls.length = 0;
    await importBoxTree(api, dir, { workspace: 'ops' });
    expect(api.calls).toContain('version Hello Web 0.0.1');
    api.calls.length = 0;
    await writeFile(join(dir, 'events', 'stop'), '#!/bin/bash\necho draft\n');
    const draft = await importBoxTree(api, dir, { workspace: 'ops', asDraft: true });
    expect(draft.boxes[0]!.action).toBe('updated');
    expect(api.calls).toEqual(['upload stop', 'update Hello Web']);
  });

  it('re-uploads files when the remote MD5 is unknown', async () => {
    const api = new FakeCam();
    const dir = join(EXAMPLES, 'Hello Web');
    await importBoxTree(api, dir, { workspace: 'ops' });
    api.calls.length = 0;
    const again = await importBoxTree(api, dir, { workspace: 'ops', asDraft: true });
    expect(api.calls).toEqual(['upload dispose', 'upload install', 'upload start', 'upload stop', 'update Hello Web']);
    expect(again.boxes[0]).toMatchObject({ action: 'updated', uploaded: 4, reused: 0 });
  });

  it('finds an existing box by name and imports the sibling a Binding names', async () => {
    const api = new FakeCam();
    const existing = await api.createBox({ name: 'Greeting Service', owner: 'ops', schema: 'x' });
    api.calls.length = 0;
    const result = await importBoxTree(api, join(EXAMPLES, 'Greeting Client'), { workspace: 'ops', asDraft: true });
    expect(result.boxes.map((b) => [b.name, b.action])).toEqual([
      ['Greeting Service', 'updated'],
      ['Greeting Client', 'created'],
    ]);
    expect(result.boxes[0]!.id).toBe(existing.id);
    const client = api.boxes.get(result.id)!;
    expect(client.variables!.find((x) => x.name === 'service')!.value).toBe(existing.id);
    expect(existing.id).not.toBe(SERVICE_ID);
  });

  it('refuses an invalid folder before calling the server', async () => {
    const api = new FakeCam();
    const root = await tempDir();
    await expect(importBoxTree(api, join(root, 'Missing'), { workspace: 'ops' })).rejects.toThrow(/no such directory/);
    expect(api.calls).toEqual([]);
  });

  it('exports what it imported back into the same folder format', async () => {
    const api = new FakeCam();
    const result = await importBoxTree(api, join(EXAMPLES, 'Nested Parent'), { workspace: 'ops' });
    const out = await tempDir();
    const written = await exportBoxTree(
      { getBox: async (id) => (await api.getBox(id))!, fetchBlob: async (url) => api.blobs.get(url)! },
      result.id,
      out,
    );
    expect(written.map((w) => w.name)).toEqual(['Nested Parent', 'Nested Child']);
    const back = await readBoxFolder(join(out, 'Nested Parent'));
    const original = await readBoxFolder(join(EXAMPLES, 'Nested Parent'));
    expect(back.children[0]!.box.doc.id).toBe(result.boxes[0]!.id);
    expect(back.events.install!.md5).toBe(original.events.install!.md5);
    expect(await readFile(join(out, 'Nested Child', 'events', 'configure'), 'utf8')).toContain('{{ COLOR }}');
    expect(back.doc.variables.map((x) => x.name)).toEqual(original.doc.variables.map((x) => x.name));
  });
});

describe('parseApplicationDocument', () => {
  it('parses the cam-api §6.2 example', () => {
    const entries = parseApplicationDocument(`
database:
  box: operations/MySQL Server
  policy: [aws, linux]
  tags: [demo-db]
  variables:
    ROOT_PASSWORD: s3cret
web:
  box: operations/Nginx Web
  policy: [aws, linux]
  tags: [demo-web]
  variables:
    HTTP_PORT: '8080'
    RATIO: 1.10
    monitoring.API_KEY: abc
    db: [demo-db]
`);
    expect(entries.map((e) => e.name)).toEqual(['database', 'web']);
    expect(entries[0]).toEqual({
      name: 'database',
      box: { owner: 'operations', name: 'MySQL Server' },
      policy: ['aws', 'linux'],
      tags: ['demo-db'],
      variables: [{ name: 'ROOT_PASSWORD', value: 's3cret' }],
    });
    expect(entries[1]!.variables).toEqual([
      { name: 'HTTP_PORT', value: '8080' },
      { name: 'RATIO', value: '1.10' },
      { name: 'API_KEY', scope: 'monitoring', value: 'abc' },
      { name: 'db', tags: ['demo-db'] },
    ]);
  });

  it('parses the greeting example, whose boxes name no owner', async () => {
    const entries = parseApplicationDocument(await readFile(join(EXAMPLES, 'greeting-app.yaml'), 'utf8'));
    expect(entries.map((e) => [e.name, e.box])).toEqual([
      ['greeting-service', { name: 'Greeting Service' }],
      ['greeting-client', { name: 'Greeting Client' }],
    ]);
    expect(entries[1]!.variables).toContainEqual({ name: 'service', tags: ['greeting-service'] });
  });

  it.each([
    ['- a\n- b\n', /must be a mapping of instance names/],
    ['web: [unclosed\n', /YAML syntax/],
    ['web:\n  policy: [linux]\n', /web: box is required/],
    ['web:\n  box: a/b\n  colour: red\n', /web: unknown key 'colour'/],
    ['web:\n  box: a/b\n  variables:\n    1bad: x\n', /web: variable '1bad' is not NAME or scope.NAME/],
    ['web:\n  box: a/b\n  variables:\n    X: {a: 1}\n', /variable X must be a value or a list/],
    ['web:\n  box: a/b\n  tags: {a: 1}\n', /web: tags must be a list of strings/],
    [`${'n'.repeat(256)}:\n  box: a/b\n`, /at most 255 characters/],
    ['web:\n  box: a/\n', /names no box after the owner/],
    ['web:\n  box: a/b\nweb:\n  box: c/d\n', /YAML syntax/],
  ])('rejects %j', (text, expected) => {
    const err = (() => {
      try {
        parseApplicationDocument(text);
      } catch (e) {
        return e;
      }
    })();
    expect(err).toBeInstanceOf(ApplicationDocumentError);
    expect((err as Error).message).toMatch(expected);
  });
});
