import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  AuthenticationError,
  BadRequestError,
  ConflictError,
  ConnectionError,
  EbClient,
  NotFoundError,
  PayloadTooLargeError,
  PermissionDeniedError,
  normaliseUrl,
} from '../../src/client/index.js';
import { startTestServer, type TestServer } from '../helpers/server.js';

// The typed client against a real control plane on loopback.
describe('EbClient against the server', () => {
  let t: TestServer;
  let client: EbClient;

  beforeAll(async () => {
    t = await startTestServer();
    client = new EbClient({ url: t.url, token: t.token, caFile: join(t.dataDir, 'tls', 'ca.pem') });
  });

  afterAll(async () => {
    await client?.close();
    await t?.stop();
  });

  it('verifies a token with GET /services/workspaces and the release header', async () => {
    const { release, workspaces } = await client.verify();
    expect(release).toBe('4.0');
    expect(workspaces[0]?.id).toBe('admin');
    expect((await client.profile.retrieve()).workspace).toBe('admin');
  });

  it('creates, reads and lists workspaces', async () => {
    const ws = await client.workspaces.create({ name: 'Client Test Team' });
    expect(ws.name).toBe('Client Test Team');
    expect((await client.workspaces.retrieve(ws.id)).id).toBe(ws.id);
    expect((await client.workspaces.list()).map((w) => w.id)).toContain(ws.id);
  });

  it('maps each status to its error class', async () => {
    await expect(client.workspaces.create({ name: '' })).rejects.toBeInstanceOf(BadRequestError);
    await client.workspaces.create({ name: 'Clash Team' });
    await expect(client.workspaces.create({ name: 'Clash Team' })).rejects.toBeInstanceOf(ConflictError);
    await expect(client.workspaces.create({ name: 'Not Mine', owner: 'someone' })).rejects.toBeInstanceOf(
      PermissionDeniedError,
    );
    await expect(client.instances.retrieve('i-nosuch')).rejects.toBeInstanceOf(NotFoundError);
    const anonymous = new EbClient({ url: t.url, token: 'wrong', caFile: join(t.dataDir, 'tls', 'ca.pem') });
    const err = await anonymous.workspaces.list().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AuthenticationError);
    expect((err as AuthenticationError).status).toBe(401);
    await anonymous.close();
  });

  it('rejects an oversized blob with PayloadTooLargeError', async () => {
    const big = Buffer.alloc(10 * 1024 * 1024 + 1, 1);
    await expect(client.blobs.upload('big.bin', big)).rejects.toBeInstanceOf(PayloadTooLargeError);
  });

  it('uploads and downloads a blob byte for byte', async () => {
    const bytes = Buffer.from([0, 1, 2, 250, 255]);
    const ref = await client.blobs.upload('tiny.bin', bytes);
    expect(ref.url).toMatch(/^\/services\/blobs\/download\/[0-9a-f]{24}\/tiny\.bin$/);
    expect(Buffer.compare(await client.blobs.download(ref.url), bytes)).toBe(0);
  });

  it('encodes path parameters', async () => {
    const err = await client.workspaces.retrieve('admin/../x').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(NotFoundError);
    expect((err as NotFoundError).path).toBe('/services/workspaces/admin%2F..%2Fx');
  });

  it('lists boxes, providers and tokens', async () => {
    const boxes = await client.boxes.list();
    expect(boxes.some((b) => String(b.schema).endsWith('/boxes/policy'))).toBe(true);
    const providers = await client.providers.list();
    expect(providers.length).toBeGreaterThan(0);
    const token = await client.tokens.create('client test');
    expect(token.value).toBeTruthy();
    expect((await client.tokens.list()).map((x) => x.id)).toContain(token.id);
  });

  it('logs in with email and password', async () => {
    const { readFileSync } = await import('node:fs');
    const password = readFileSync(join(t.dataDir, 'admin-password'), 'utf8').trim();
    const anonymous = new EbClient({ url: t.url, caFile: join(t.dataDir, 'tls', 'ca.pem') });
    const token = await anonymous.tokens.login('admin@ebcli.local', password);
    await anonymous.close();
    const session = new EbClient({ url: t.url, token, caFile: join(t.dataDir, 'tls', 'ca.pem') });
    expect((await session.profile.retrieve()).id).toBe('admin');
    await session.close();
  });

  it('reports an unreachable server as ConnectionError', async () => {
    const dead = new EbClient({ url: 'https://127.0.0.1:1', maxRetries: 0 });
    await expect(dead.workspaces.list()).rejects.toBeInstanceOf(ConnectionError);
    await dead.close();
  });

  it('answers the same over node:https (plainRequests) as over undici', async () => {
    const caFile = join(t.dataDir, 'tls', 'ca.pem');
    const plain = new EbClient({ url: t.url, token: t.token, caFile, plainRequests: true, env: {} });
    expect(await plain.workspaces.list()).toEqual(await client.workspaces.list());
    await expect(plain.instances.retrieve('i-nosuch')).rejects.toBeInstanceOf(NotFoundError);
    const wrong = new EbClient({ url: t.url, token: 'wrong', caFile, plainRequests: true, env: {} });
    await expect(wrong.workspaces.list()).rejects.toBeInstanceOf(AuthenticationError);
    const untrusted = new EbClient({ url: t.url, token: t.token, plainRequests: true, maxRetries: 0, env: {} });
    await expect(untrusted.workspaces.list()).rejects.toBeInstanceOf(ConnectionError);
    const dead = new EbClient({ url: 'https://127.0.0.1:1', plainRequests: true, maxRetries: 0, env: {} });
    await expect(dead.workspaces.list()).rejects.toMatchObject({ code: 'ECONNREFUSED' });
  });

  it("keeps one verified connection for a command's plain requests, POSTs included", async () => {
    const caFile = join(t.dataDir, 'tls', 'ca.pem');
    let connections = 0;
    const count = () => connections++;
    t.server.app.server.on('secureConnection', count);
    try {
      const plain = new EbClient({ url: t.url, token: t.token, caFile, plainRequests: true, env: {} });
      await plain.profile.retrieve();
      await plain.workspaces.list();
      const created = await plain.workspaces.create({ name: 'plain-keepalive' });
      expect(created).toMatchObject({ name: 'plain-keepalive' });
      await plain.close();
      expect(connections).toBe(1);
      // Concurrent requests open their own connections (each checked) instead of queueing.
      const again = new EbClient({ url: t.url, token: t.token, caFile, plainRequests: true, env: {} });
      connections = 0;
      await Promise.all([again.profile.retrieve(), again.workspaces.list(), again.boxes.list()]);
      await again.close();
      expect(connections).toBeGreaterThanOrEqual(2);
    } finally {
      t.server.app.server.off('secureConnection', count);
    }
  });

  it('normalises URLs', () => {
    expect(normaliseUrl('cam.example.com/')).toBe('https://cam.example.com');
    expect(normaliseUrl('http://127.0.0.1:8080//')).toBe('http://127.0.0.1:8080');
  });
});
