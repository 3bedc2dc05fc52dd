import { readFileSync, statSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { connect, createServer } from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { dataFiles } from '../../src/shared/paths.js';

let t: TestServer;
beforeAll(async () => {
  t = await startTestServer();
});
afterAll(async () => t.stop());

describe('first start', () => {
  it('writes the admin token with mode 0600 and creates workspace, local provider and a linux policy box', async () => {
    const files = dataFiles(t.dataDir);
    expect(statSync(files.adminToken).mode & 0o777).toBe(0o600);
    expect(statSync(files.caKey).mode & 0o777).toBe(0o600);
    const providers = await t.server.db.selectFrom('providers').select(['name', 'type']).execute();
    expect(providers).toEqual([{ name: 'local', type: 'Test Provider' }]);
    const boxes = (await t.call('GET', '/services/workspaces/admin/boxes')).body;
    const policy = boxes.find((b: any) => b.schema === 'http://elasticbox.net/schemas/boxes/policy');
    expect(policy.claims).toContain('linux');
    const journal = await t.server.db.selectFrom('users').select('id').execute();
    expect(journal.map((u) => u.id)).toEqual(['admin']);
  });
});

describe('restart', () => {
  it('keeps every record, the token and the CA, and does not bootstrap again', async () => {
    const created = (await t.call('POST', '/services/workspaces', { body: { name: 'Durable' } })).body;
    const tokenDoc = (await t.call('POST', '/services/tokens', { body: { description: 'survivor' } })).body;
    const ca = readFileSync(dataFiles(t.dataDir).caCert, 'utf8');
    const before = {
      workspaces: (await t.call('GET', '/services/workspaces')).body,
      boxes: (await t.call('GET', '/services/workspaces/admin/boxes')).body,
      providers: (await t.call('GET', '/services/workspaces/admin/providers')).body,
    };
    await t.restart();
    expect(readFileSync(dataFiles(t.dataDir).caCert, 'utf8')).toBe(ca);
    expect((await t.call('GET', '/services/workspaces')).body).toEqual(before.workspaces);
    expect((await t.call('GET', '/services/workspaces/admin/boxes')).body).toEqual(before.boxes);
    expect((await t.call('GET', '/services/workspaces/admin/providers')).body).toEqual(before.providers);
    expect((await t.call('GET', `/services/workspaces/${created.id}`)).status).toBe(200);
    expect((await t.call('GET', '/services/profile', { token: tokenDoc.value })).status).toBe(200);
    const journal = await t.server.db
      .selectFrom('kysely_migration' as any)
      .select('name')
      .execute();
    expect(journal[0]).toEqual({ name: '0001_initial' });
    expect(new Set(journal.map((j: any) => j.name)).size).toBe(journal.length);
  });
});

type Versions = { minVersion: 'TLSv1' | 'TLSv1.2'; maxVersion: 'TLSv1.1' | 'TLSv1.2' | 'TLSv1.3' };

function handshake(opts: Versions, target = t.url) {
  const url = new URL(target);
  return new Promise<string>((resolve, reject) => {
    const socket = connect({
      host: url.hostname,
      port: Number(url.port),
      ca: t.server.ca,
      ...opts,
      ciphers: 'DEFAULT:@SECLEVEL=0',
    });
    socket.once('secureConnect', () => {
      const version = socket.getProtocol() ?? '';
      socket.end();
      resolve(version);
    });
    socket.once('error', reject);
  });
}

describe('TLS policy', () => {
  it('has a TLS 1.1 client that works against a server allowing TLS 1.1 (control)', async () => {
    const files = dataFiles(t.dataDir);
    const lax = createServer(
      {
        key: readFileSync(files.serverKey),
        cert: readFileSync(files.serverCert),
        minVersion: 'TLSv1',
        ciphers: 'DEFAULT:@SECLEVEL=0',
      },
      (c) => c.end(),
    );
    await new Promise<void>((r) => lax.listen(0, '127.0.0.1', r));
    try {
      const port = (lax.address() as AddressInfo).port;
      expect(await handshake({ minVersion: 'TLSv1', maxVersion: 'TLSv1.1' }, `https://127.0.0.1:${port}`)).toBe(
        'TLSv1.1',
      );
    } finally {
      lax.close();
    }
  });

  it('refuses a TLS 1.1 client', async () => {
    await expect(handshake({ minVersion: 'TLSv1', maxVersion: 'TLSv1.1' })).rejects.toThrow(/version|protocol/i);
  });

  it('accepts TLS 1.2 and 1.3 clients that trust the embedded CA', async () => {
    expect(await handshake({ minVersion: 'TLSv1.2', maxVersion: 'TLSv1.2' })).toBe('TLSv1.2');
    expect(await handshake({ minVersion: 'TLSv1.2', maxVersion: 'TLSv1.3' })).toBe('TLSv1.3');
  });
});
