import { X509Certificate } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect } from 'node:tls';
import { afterAll, describe, expect, it } from 'vitest';
import { certificateHostsFor, localUrl, parseListen, resolvePublicUrl } from '../../src/server/http/public-url.js';
import { startServer } from '../../src/server/start.js';
import { certificateHosts } from '../../src/server/tls/tls.js';
import { dataFiles } from '../../src/shared/paths.js';
import { ensureBuilt, runCli } from '../cli/helpers.js';
import { databaseEnv, dropTestDatabase, testDatabaseUrl } from '../helpers/store.js';

const dirs: string[] = [];
/** The data directories given a test database on a PostgreSQL run (dropped afterwards). */
const dbKeys: string[] = [];
afterAll(async () => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
  for (const d of dbKeys) await dropTestDatabase(d);
});
const database = (dataDir: string) => {
  dbKeys.push(dataDir);
  return testDatabaseUrl(dataDir);
};
const dbEnv = (dataDir: string) => {
  dbKeys.push(dataDir);
  return databaseEnv(dataDir);
};
const tempDir = () => {
  const d = mkdtempSync(join(tmpdir(), 'ebcli-public-url-'));
  dirs.push(d);
  return d;
};

/** Completes a TLS handshake to host:port trusting only `ca`, checking the certificate for `servername`. */
function handshake(host: string, port: number, servername: string, ca: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = connect({ host, port, servername, ca, minVersion: 'TLSv1.2' }, () => {
      const serial = s.getPeerCertificate().serialNumber;
      s.end();
      resolve(serial);
    });
    s.on('error', reject);
  });
}

describe('--listen and --public-url', () => {
  it('parses ADDR:PORT, [IPv6]:PORT, ADDR and :PORT, and refuses the rest', () => {
    expect(parseListen('0.0.0.0:8443')).toEqual({ host: '0.0.0.0', port: 8443 });
    expect(parseListen('[::]:0')).toEqual({ host: '::', port: 0 });
    expect(parseListen('::1')).toEqual({ host: '::1', port: undefined });
    expect(parseListen('10.1.2.3')).toEqual({ host: '10.1.2.3', port: undefined });
    expect(parseListen(':9000')).toEqual({ host: undefined, port: 9000 });
    expect(() => parseListen('host:99999')).toThrow(/at most 65535/);
    expect(() => parseListen('a b:1')).toThrow(/not an address or host name/);
    expect(() => parseListen('1.2.3.4:x')).toThrow(/ADDR:PORT/);
    expect(resolvePublicUrl('https://cp.example.test', 8443)).toBe('https://cp.example.test:8443');
    expect(resolvePublicUrl('https://cp.example.test:443/', 8443)).toBe('https://cp.example.test:443');
    expect(() => resolvePublicUrl('http://cp.example.test', 1)).toThrow(/https/);
    expect(() => resolvePublicUrl('https://u:p@cp.example.test', 1)).toThrow(/no path, credentials/);
    expect(localUrl('0.0.0.0', 5)).toBe('https://127.0.0.1:5');
    expect(localUrl('::', 5)).toBe('https://[::1]:5');
    expect(certificateHostsFor('0.0.0.0', 'https://CP.Example.test')).toEqual([
      '127.0.0.1',
      'localhost',
      '::1',
      'cp.example.test',
    ]);
  });

  it('binds the listen address, names the public host in a certificate of the same CA, and issues it again only when the host changes', async () => {
    const dataDir = tempDir();
    const files = dataFiles(dataDir);
    // 127.0.0.2 is loopback on Linux: a non-default bind address that stays inside this host.
    let server = await startServer({
      dataDir,
      port: 0,
      host: '127.0.0.2',
      publicUrl: 'https://cp-one.example.test',
      database: await database(dataDir),
    });
    try {
      expect(server.url).toBe(`https://127.0.0.2:${server.port}`);
      expect(server.publicUrl).toBe(`https://cp-one.example.test:${server.port}`);
      const ca = readFileSync(files.caCert, 'utf8');
      expect(certificateHosts(readFileSync(files.serverCert)).map((h) => h.toLowerCase())).toEqual(
        expect.arrayContaining(['127.0.0.1', 'localhost', '127.0.0.2', 'cp-one.example.test']),
      );
      // A client that reaches it by the public name verifies it with the CA alone.
      const first = await handshake('127.0.0.2', server.port, 'cp-one.example.test', ca);
      await expect(handshake('127.0.0.1', server.port, 'cp-one.example.test', ca)).rejects.toThrow(/ECONNREFUSED/);
      await server.close();

      // Same names: the certificate stays.
      server = await startServer({
        dataDir,
        port: 0,
        host: '127.0.0.2',
        publicUrl: 'https://cp-one.example.test',
        database: await database(dataDir),
      });
      expect(await handshake('127.0.0.2', server.port, 'cp-one.example.test', ca)).toBe(first);
      await server.close();

      // A new public host: a new certificate from the same CA names it, and no longer the old one.
      server = await startServer({
        dataDir,
        port: 0,
        host: '127.0.0.2',
        publicUrl: 'https://cp-two.example.test:9443',
        database: await database(dataDir),
      });
      expect(server.publicUrl).toBe('https://cp-two.example.test:9443');
      expect(readFileSync(files.caCert, 'utf8')).toBe(ca);
      const second = await handshake('127.0.0.2', server.port, 'cp-two.example.test', ca);
      expect(second).not.toBe(first);
      await expect(handshake('127.0.0.2', server.port, 'cp-one.example.test', ca)).rejects.toThrow(
        /altnames|ERR_TLS_CERT_ALTNAME_INVALID/i,
      );
      const cert = new X509Certificate(readFileSync(files.serverCert));
      expect(cert.checkIssued(new X509Certificate(ca))).toBe(true);
    } finally {
      await server.close();
    }
  });

  it('`server start` takes both flags, reports both URLs, keeps binding loopback by default and refuses bad values (exit 2)', async () => {
    ensureBuilt();
    const home = tempDir();
    const env = { HOME: home, XDG_CONFIG_HOME: join(home, 'config'), XDG_DATA_HOME: join(home, 'xdg') };
    const bad = await runCli(['server', 'start', '--public-url', 'http://x.test', '--data-dir', join(home, 'd0')], {
      env,
    });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('must use https');

    const dataDir = join(home, 'data');
    const started = await runCli(
      [
        'server',
        'start',
        '--json',
        '--listen',
        '127.0.0.2:0',
        '--public-url',
        'https://cp.example.test',
        '--data-dir',
        dataDir,
      ],
      { env: { ...env, ...(await dbEnv(dataDir)) }, timeoutMs: 60_000 },
    );
    try {
      expect(started.code, started.stderr).toBe(0);
      const out = started.json();
      expect(out.url).toMatch(/^https:\/\/127\.0\.0\.2:\d+$/);
      expect(out.publicUrl).toBe(`https://cp.example.test:${new URL(out.url).port}`);
      expect(JSON.parse(readFileSync(dataFiles(dataDir).stateFile, 'utf8'))).toMatchObject({
        host: '127.0.0.2',
        publicUrl: out.publicUrl,
      });
    } finally {
      const stop = await runCli(['server', 'stop', '--json', '--data-dir', dataDir], { env, timeoutMs: 60_000 });
      expect(stop.code, stop.stderr).toBe(0);
    }

    const plain = join(home, 'plain');
    const def = await runCli(['server', 'start', '--json', '--data-dir', plain], {
      env: { ...env, ...(await dbEnv(plain)) },
      timeoutMs: 60_000,
    });
    try {
      expect(def.code, def.stderr).toBe(0);
      expect(def.json().url).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
      expect(def.json().publicUrl).toBe(def.json().url);
    } finally {
      await runCli(['server', 'stop', '--data-dir', plain], { env, timeoutMs: 60_000 });
    }
  }, 120_000);
});
