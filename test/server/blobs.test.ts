import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { addUser } from '../helpers/users.js';
import { fileNameProblem } from '../../src/server/boxes/blob-urls.js';

let t: TestServer;
let otherToken: string;
beforeAll(async () => {
  t = await startTestServer(undefined, { inject: true });
  otherToken = await addUser(t, 'bob');
});
afterAll(async () => t.stop());

const MB = 1024 * 1024;
const BOUNDARY = 'ebcli-test-boundary';

interface Part {
  field: string;
  filename?: string;
  type?: string;
  data: string | Buffer;
}

/** A multipart/form-data body built by hand, so each test controls the parts exactly. */
function multipart(parts: Part[]): { raw: Buffer; headers: Record<string, string> } {
  const chunks: Buffer[] = [];
  for (const p of parts) {
    const disposition = `form-data; name="${p.field}"${p.filename !== undefined ? `; filename="${p.filename}"` : ''}`;
    const head = `--${BOUNDARY}\r\nContent-Disposition: ${disposition}\r\n${p.type ? `Content-Type: ${p.type}\r\n` : ''}\r\n`;
    chunks.push(Buffer.from(head), Buffer.isBuffer(p.data) ? p.data : Buffer.from(p.data), Buffer.from('\r\n'));
  }
  chunks.push(Buffer.from(`--${BOUNDARY}--\r\n`));
  return { raw: Buffer.concat(chunks), headers: { 'content-type': `multipart/form-data; boundary=${BOUNDARY}` } };
}

async function download(url: string, token?: string | null) {
  return t.call('GET', url, { token });
}

async function blobCount(): Promise<number> {
  const row = await t.server.db
    .selectFrom('blobs')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .executeTakeFirstOrThrow();
  return Number(row.n);
}

describe('POST /services/blobs/upload (multipart)', () => {
  it('stores any single file part and round-trips it byte for byte', async () => {
    const data = randomBytes(300_000);
    const res = await t.call(
      'POST',
      '/services/blobs/upload',
      multipart([{ field: 'blob', filename: 'arrow.png', type: 'image/png', data }]),
    );
    expect(res.status).toBe(200);
    expect(res.body.url).toMatch(/^\/services\/blobs\/download\/[0-9a-f]{24}\/arrow\.png$/);
    expect(res.body.upload_date).toMatch(/^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}\.\d{6}$/);
    expect(res.body).toMatchObject({ length: data.length, content_type: 'image/png' });

    const got = await t.call('GET', res.body.url);
    expect(got.status).toBe(200);
    expect(got.headers['content-type']).toBe('image/png');
    expect(got.headers['content-length']).toBe(String(data.length));
    expect((await fetchBytes(res.body.url)).equals(data)).toBe(true);
  });

  it('accepts a part named after the file (ebcli) and ignores plain fields', async () => {
    const res = await t.call(
      'POST',
      '/services/blobs/upload',
      multipart([
        { field: 'note', data: 'ignored' },
        { field: 'install', filename: 'install', type: 'text/x-shellscript', data: '#!/bin/bash\necho hi\n' },
      ]),
    );
    expect(res.status).toBe(200);
    expect(res.body.content_type).toBe('text/x-shellscript');
    expect((await download(res.body.url)).text).toBe('#!/bin/bash\necho hi\n');
  });

  it('refuses no file, two files and non-multipart bodies with 400, storing nothing', async () => {
    const before = await blobCount();
    const none = await t.call('POST', '/services/blobs/upload', multipart([{ field: 'x', data: 'y' }]));
    expect(none.status).toBe(400);
    expect(none.body.message).toMatch(/no file/);
    const two = await t.call(
      'POST',
      '/services/blobs/upload',
      multipart([
        { field: 'a', filename: 'a.txt', data: 'a' },
        { field: 'b', filename: 'b.txt', data: 'b' },
      ]),
    );
    expect(two.status).toBe(400);
    expect(two.body.message).toMatch(/exactly one file/);
    const json = await t.call('POST', '/services/blobs/upload', { body: { a: 1 } });
    expect(json.status).toBe(400);
    expect(json.body.message).toMatch(/multipart/);
    const broken = await t.call('POST', '/services/blobs/upload', {
      raw: `--${BOUNDARY}\r\nContent-Disposition: form-data; name="blob"; filename="x"\r\n\r\nunterminated`,
      headers: { 'content-type': `multipart/form-data; boundary=${BOUNDARY}` },
    });
    expect(broken.status).toBe(400);
    expect(await blobCount()).toBe(before);
  });

  it('refuses a file over 10 MB with 413 and stores nothing', async () => {
    const before = await blobCount();
    const res = await t.call(
      'POST',
      '/services/blobs/upload',
      multipart([{ field: 'blob', filename: 'big.bin', data: Buffer.alloc(10 * MB + 1) }]),
    );
    expect(res.status).toBe(413);
    expect(res.body.message).toMatch(/10 MB/);
    expect(await blobCount()).toBe(before);
  });

  it('accepts a file of exactly 10 MB', async () => {
    const res = await t.call(
      'POST',
      '/services/blobs/upload',
      multipart([{ field: 'blob', filename: 'max.bin', data: Buffer.alloc(10 * MB, 7) }]),
    );
    expect(res.status).toBe(200);
    expect(res.body.length).toBe(10 * MB);
  });

  it('refuses bad file names', async () => {
    for (const filename of ['..', 'a\u0001b']) {
      const res = await t.call('POST', '/services/blobs/upload', multipart([{ field: 'blob', filename, data: 'x' }]));
      expect(res.status, filename).toBe(400);
    }
  });

  it('requires a token', async () => {
    const res = await t.call('POST', '/services/blobs/upload', {
      ...multipart([{ field: 'blob', filename: 'a', data: 'a' }]),
      token: null,
    });
    expect(res.status).toBe(401);
  });
});

describe('POST /services/blobs/upload/:file_name (raw body)', () => {
  it('stores the raw body with its content type and round-trips it byte for byte', async () => {
    const data = randomBytes(64 * 1024);
    const res = await t.call('POST', '/services/blobs/upload/payload.tar.gz', {
      raw: data,
      headers: { 'content-type': 'application/gzip' },
    });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ length: data.length, content_type: 'application/gzip' });
    expect(res.body.url).toMatch(/^\/services\/blobs\/download\/[0-9a-f]{24}\/payload\.tar\.gz$/);
    expect((await fetchBytes(res.body.url)).equals(data)).toBe(true);
  });

  it('keeps JSON bodies as bytes and defaults the content type', async () => {
    const json = await t.call('POST', '/services/blobs/upload/config.json', {
      raw: '{"a": 1',
      headers: { 'content-type': 'application/json' },
    });
    expect(json.status).toBe(200);
    expect(json.body.content_type).toBe('application/json');
    expect((await fetchBytes(json.body.url)).toString()).toBe('{"a": 1');
    const bare = await t.call('POST', '/services/blobs/upload/bare.bin', { raw: Buffer.from([1, 2, 3]) });
    expect(bare.status).toBe(200);
    expect(bare.body.content_type).toBe('application/octet-stream');
    const empty = await t.call('POST', '/services/blobs/upload/empty.txt', {
      raw: '',
      headers: { 'content-type': 'text/plain' },
    });
    expect(empty.status).toBe(200);
    expect(empty.body.length).toBe(0);
  });

  it('accepts bodies above the 1 MiB JSON limit and refuses more than 10 MB with 413', async () => {
    const ok = await t.call('POST', '/services/blobs/upload/two.bin', { raw: Buffer.alloc(2 * MB, 1) });
    expect(ok.status).toBe(200);
    const before = await blobCount();
    const big = await t.call('POST', '/services/blobs/upload/big.bin', { raw: Buffer.alloc(10 * MB + 1) });
    expect(big.status).toBe(413);
    expect(big.body.message).toMatch(/10 MB/);
    expect(await blobCount()).toBe(before);
  });

  it('refuses bad file names', async () => {
    for (const name of ['a%5Cb', 'a%2Fb', 'a%00b', 'a%0Ab', 'x'.repeat(256)]) {
      const res = await t.call('POST', `/services/blobs/upload/${name}`, { raw: 'x' });
      expect(res.status, name).toBe(400);
    }
  });

  it('keeps names with spaces, percent-encoded in the URL', async () => {
    const res = await t.call('POST', `/services/blobs/upload/${encodeURIComponent('read me.md')}`, { raw: '# hi' });
    expect(res.status).toBe(200);
    expect(res.body.url).toMatch(/\/read%20me\.md$/);
    expect((await download(res.body.url)).text).toBe('# hi');
  });
});

describe('file names', () => {
  // HTTP clients resolve `.` and `..` path segments before sending, so check the rule directly.
  it('refuses dot names, separators, control characters and overlong names', () => {
    for (const bad of ['', '.', '..', 'a/b', 'a\\b', 'a\u0000b', 'a\u007fb', 'x'.repeat(256)]) {
      expect(fileNameProblem(bad), JSON.stringify(bad)).toBeDefined();
    }
    for (const good of ['a', '.bashrc', 'read me.md', '..hidden', 'x'.repeat(255), 'é.txt']) {
      expect(fileNameProblem(good), good).toBeUndefined();
    }
  });
});

describe('GET /services/blobs/download/:blob_id/:file_name', () => {
  let url: string;
  beforeAll(async () => {
    url = (await t.call('POST', '/services/blobs/upload/secret.txt', { raw: 'admin only' })).body.url;
  });

  it('answers 404 for an unknown id or a wrong name, 400 for a malformed id, 401 without a token', async () => {
    const id = url.split('/')[4] as string;
    expect((await download(`/services/blobs/download/${'0'.repeat(24)}/secret.txt`)).status).toBe(404);
    expect((await download(`/services/blobs/download/${id}/other.txt`)).status).toBe(404);
    const bad = await download('/services/blobs/download/not-an-id/secret.txt');
    expect(bad.status).toBe(400);
    expect(bad.body.message).toMatch(/blob_id/);
    expect((await download(url, null)).status).toBe(401);
  });

  it('hides a blob from users who did not upload it and cannot read a box that uses it', async () => {
    const res = await download(url, otherToken);
    expect(res.status).toBe(404);
    expect(res.body.message).not.toMatch(/admin/);
  });

  it('lets members of a box workspace download the blobs the box references', async () => {
    const bobBlob = (await t.call('POST', '/services/blobs/upload/install.sh', { raw: 'echo bob', token: otherToken }))
      .body;
    const box = await t.call('POST', '/services/boxes', {
      token: otherToken,
      body: { name: 'Bob Box', events: { install: { url: bobBlob.url } } },
    });
    expect(box.status).toBe(200);
    expect((await download(bobBlob.url)).status).toBe(404); // admin is not in bob's workspace
    const team = await t.call('POST', '/services/workspaces', {
      token: otherToken,
      body: { name: 'Shared', members: [{ role: 'read', workspace: 'admin' }] },
    });
    expect(team.status).toBe(200);
    const shared = await t.call('POST', '/services/boxes', {
      token: otherToken,
      body: { name: 'Shared Box', owner: team.body.id, events: { install: { url: bobBlob.url } } },
    });
    expect(shared.status).toBe(200);
    const got = await download(bobBlob.url);
    expect(got.status).toBe(200);
    expect(got.text).toBe('echo bob');
  });
});

async function fetchBytes(url: string): Promise<Buffer> {
  const { request } = await import('undici');
  const res = await request(`${t.url}${url}`, { headers: { 'elasticbox-token': t.token }, dispatcher: t.dispatcher });
  return Buffer.from(await res.body.arrayBuffer());
}
