import { webcrypto, X509Certificate } from 'node:crypto';
import { createServer } from 'node:https';
import { isIP, type AddressInfo, type Socket } from 'node:net';
import type { TLSSocket } from 'node:tls';
import * as x509 from '@peculiar/x509';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectPinned, parseCas, pinnedPeerError, type PinnedConnection } from '../../src/client/pinned-tls.js';
import { plainRequest, trustedContext } from '../../src/client/transport.js';

// Server verification against a pinned CA, with certificates made here and real TLS servers on
// loopback: nothing is mocked.

x509.cryptoProvider.set(webcrypto as unknown as Parameters<typeof x509.cryptoProvider.set>[0]);

const ALG = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' } as const;
const DAY = 24 * 60 * 60 * 1000;
const CLIENT_AUTH = x509.ExtendedKeyUsage.clientAuth;

interface Cert {
  pem: string;
  keyPem: string;
  node: X509Certificate;
  cert: x509.X509Certificate;
  key: webcrypto.CryptoKey;
}

interface CertOptions {
  /** Subject common name. */
  name: string;
  /** Signs the certificate; self-signed without one. */
  issuer?: Cert;
  /** basicConstraints cA=true and keyCertSign; otherwise cA=false and no key usage extension. */
  ca?: boolean;
  sans?: string[];
  /** Extended key usages; `null` leaves the extension out. */
  eku?: string[] | null;
  /** Adds an authorityKeyIdentifier (default: when an issuer signs). */
  aki?: boolean;
  /** Validity period, in days from now. */
  from?: number;
  to?: number;
}

async function issue(o: CertOptions): Promise<Cert> {
  const keys = (await webcrypto.subtle.generateKey(ALG, true, ['sign', 'verify'])) as webcrypto.CryptoKeyPair;
  const extensions: x509.Extension[] = [
    new x509.BasicConstraintsExtension(Boolean(o.ca), undefined, true),
    await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
  ];
  if (o.ca) extensions.push(new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign, true));
  const eku = o.eku === undefined ? (o.ca ? null : [x509.ExtendedKeyUsage.serverAuth]) : o.eku;
  if (eku) extensions.push(new x509.ExtendedKeyUsageExtension(eku));
  if (o.sans) {
    const names = o.sans.map((value) => ({ type: isIP(value) ? ('ip' as const) : ('dns' as const), value }));
    extensions.push(new x509.SubjectAlternativeNameExtension(names));
  }
  if (o.issuer && o.aki !== false) extensions.push(await x509.AuthorityKeyIdentifierExtension.create(o.issuer.cert));
  const cert = await x509.X509CertificateGenerator.create({
    serialNumber: Buffer.from(webcrypto.getRandomValues(new Uint8Array(8)))
      .toString('hex')
      .replace(/^[89a-f]/, '1'),
    subject: `CN=${o.name}`,
    issuer: o.issuer ? o.issuer.cert.subject : `CN=${o.name}`,
    notBefore: new Date(Date.now() + (o.from ?? -1) * DAY),
    notAfter: new Date(Date.now() + (o.to ?? 30) * DAY),
    signingAlgorithm: ALG,
    publicKey: keys.publicKey,
    signingKey: o.issuer?.key ?? keys.privateKey,
    extensions,
  });
  const pkcs8 = Buffer.from(await webcrypto.subtle.exportKey('pkcs8', keys.privateKey)).toString('base64');
  const keyPem = `-----BEGIN PRIVATE KEY-----\n${pkcs8.replace(/(.{64})/g, '$1\n').trimEnd()}\n-----END PRIVATE KEY-----\n`;
  const pem = `${cert.toString('pem').trimEnd()}\n`;
  return { pem, keyPem, node: new X509Certificate(pem), cert, key: keys.privateKey };
}

const LOOPBACK = ['127.0.0.1', 'localhost'];
let ca: Cert;
let other: Cert;
let leaf: Cert;
beforeAll(async () => {
  ca = await issue({ name: 'pinned CA', ca: true, from: -30, to: 3650 });
  other = await issue({ name: 'unrelated CA', ca: true });
  leaf = await issue({ name: 'server', issuer: ca, sans: LOOPBACK });
});

describe('pinnedPeerError', () => {
  it('accepts a leaf the pinned CA signed, for its IP and DNS names', () => {
    expect(pinnedPeerError(leaf.node, [ca.node], '127.0.0.1')).toBeUndefined();
    expect(pinnedPeerError(leaf.node, [ca.node], 'localhost')).toBeUndefined();
  });

  it('refuses a host the leaf does not name', () => {
    expect(pinnedPeerError(leaf.node, [ca.node], 'example.com')).toMatch(/example\.com/);
    expect(pinnedPeerError(leaf.node, [ca.node], '10.0.0.1')).toMatch(/10\.0\.0\.1/);
  });

  it('checks the signature, not just the names: an impostor CA of the same name is refused', async () => {
    const impostor = await issue({ name: 'pinned CA', ca: true });
    const forged = await issue({ name: 'server', issuer: impostor, sans: LOOPBACK, aki: false });
    expect(forged.node.checkIssued(ca.node)).toBe(true);
    expect(forged.node.verify(ca.node.publicKey)).toBe(false);
    expect(pinnedPeerError(forged.node, [ca.node], '127.0.0.1')).toBe('certificate was not issued by the pinned CA');
    expect(pinnedPeerError(forged.node, [impostor.node], '127.0.0.1')).toBeUndefined();
  });

  it('refuses a leaf outside its validity period, judged at `now`', async () => {
    const expired = await issue({ name: 'server', issuer: ca, sans: LOOPBACK, from: -10, to: -1 });
    const future = await issue({ name: 'server', issuer: ca, sans: LOOPBACK, from: 1, to: 10 });
    const outside = 'certificate is outside its validity period';
    expect(pinnedPeerError(expired.node, [ca.node], '127.0.0.1')).toBe(outside);
    expect(pinnedPeerError(future.node, [ca.node], '127.0.0.1')).toBe(outside);
    expect(pinnedPeerError(expired.node, [ca.node], '127.0.0.1', Date.now() - 5 * DAY)).toBeUndefined();
    expect(pinnedPeerError(future.node, [ca.node], '127.0.0.1', Date.now() + 5 * DAY)).toBeUndefined();
    expect(pinnedPeerError(leaf.node, [ca.node], '127.0.0.1', Date.now() + 31 * DAY)).toBe(outside);
    const lapsedCa = await issue({ name: 'lapsed CA', ca: true, from: -10, to: -1 });
    const orphan = await issue({ name: 'server', issuer: lapsedCa, sans: LOOPBACK, from: -5 });
    expect(pinnedPeerError(orphan.node, [lapsedCa.node], '127.0.0.1')).toBe(
      'certificate was not issued by the pinned CA',
    );
    expect(pinnedPeerError(orphan.node, [lapsedCa.node], '127.0.0.1', Date.now() - 3 * DAY)).toBeUndefined();
  });

  it('refuses a client-only leaf and accepts one without extended key usages', async () => {
    const client = await issue({ name: 'server', issuer: ca, sans: LOOPBACK, eku: [CLIENT_AUTH] });
    const any = await issue({ name: 'server', issuer: ca, sans: LOOPBACK, eku: null });
    expect(pinnedPeerError(client.node, [ca.node], '127.0.0.1')).toBe('certificate is not for server authentication');
    expect(any.node.keyUsage).toBeUndefined();
    expect(pinnedPeerError(any.node, [ca.node], '127.0.0.1')).toBeUndefined();
  });

  it('refuses an issuer that is not a CA', async () => {
    const notCa = await issue({ name: 'plain leaf', sans: LOOPBACK });
    const child = await issue({ name: 'server', issuer: notCa, sans: LOOPBACK });
    expect(notCa.node.ca).toBe(false);
    expect(child.node.checkIssued(notCa.node) && child.node.verify(notCa.node.publicKey)).toBe(true);
    expect(pinnedPeerError(child.node, [notCa.node], '127.0.0.1')).toBe('certificate was not issued by the pinned CA');
  });

  it('refuses a leaf whose pinned issuer is an intermediate, as OpenSSL does (anchors are self-signed)', async () => {
    const intermediate = await issue({ name: 'intermediate CA', issuer: ca, ca: true });
    const child = await issue({ name: 'server', issuer: intermediate, sans: LOOPBACK });
    expect(child.node.checkIssued(intermediate.node) && child.node.verify(intermediate.node.publicKey)).toBe(true);
    const refused = 'certificate was not issued by the pinned CA';
    expect(pinnedPeerError(child.node, [intermediate.node], '127.0.0.1')).toBe(refused);
    expect(pinnedPeerError(child.node, [ca.node], '127.0.0.1')).toBe(refused);
  });

  it('parseCas reads every certificate of a PEM text and skips the rest', () => {
    const cas = parseCas(`junk\n${other.pem}\nnot a certificate\n${ca.pem}trailing`);
    expect(cas.map((c) => c.fingerprint256)).toEqual([other.node.fingerprint256, ca.node.fingerprint256]);
    expect(pinnedPeerError(leaf.node, cas, 'localhost')).toBeUndefined();
    expect(parseCas('')).toEqual([]);
  });
});

interface TestServer {
  port: number;
  /** TCP connections accepted and closed, application bytes received, HTTP requests handled. */
  stats: { connections: number; closed: number; bytes: number; requests: number };
  close(): Promise<void>;
}

/** An https server on loopback presenting `cert` (followed by `chain`), answering 'pinned ok'. */
async function serve(cert: Cert, chain: Cert[] = []): Promise<TestServer> {
  const stats = { connections: 0, closed: 0, bytes: 0, requests: 0 };
  const pems = [cert, ...chain].map((c) => c.pem).join('');
  const server = createServer({ key: cert.keyPem, cert: pems, minVersion: 'TLSv1.2' }, (_req, res) => {
    stats.requests++;
    res.end('pinned ok');
  });
  server.on('connection', (socket: Socket) => {
    stats.connections++;
    socket.on('close', () => stats.closed++);
  });
  server.on('secureConnection', (socket: TLSSocket) => {
    socket.on('data', (chunk: Buffer) => (stats.bytes += chunk.length));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const close = () => {
    server.closeAllConnections();
    return new Promise<void>((resolve) => server.close(() => resolve()));
  };
  return { port, stats, close };
}

function socketOf(result: PinnedConnection): TLSSocket {
  if ('refused' in result) throw new Error(`refused: ${result.refused}`);
  return result.socket;
}

describe('connectPinned and plainRequest against real servers', () => {
  let direct: TestServer;
  let foreign: TestServer;
  let chained: TestServer;
  let contextCalls: number;
  const trust = () => ({
    cas: parseCas(ca.pem),
    context: () => (contextCalls++, trustedContext(ca.pem, {})),
  });
  const get = (server: TestServer) =>
    plainRequest(new URL(`https://127.0.0.1:${server.port}/`), {
      method: 'GET',
      headers: {},
      signal: AbortSignal.timeout(10_000),
      trust: trust(),
    });

  beforeAll(async () => {
    const foreignLeaf = await issue({ name: 'server', issuer: other, sans: LOOPBACK });
    const intermediate = await issue({ name: 'intermediate CA', issuer: ca, ca: true });
    const chainedLeaf = await issue({ name: 'server', issuer: intermediate, sans: LOOPBACK });
    [direct, foreign, chained] = await Promise.all([
      serve(leaf),
      serve(foreignLeaf),
      serve(chainedLeaf, [intermediate]),
    ]);
  });
  afterAll(() => Promise.all([direct, foreign, chained].map((s) => s?.close())));

  it('accepts a server whose leaf the pinned CA signed, on our check alone', async () => {
    const socket = socketOf(await connectPinned({ host: '127.0.0.1', port: direct.port, cas: [ca.node] }));
    expect(socket.authorized).toBe(false);
    expect(socket.authorizationError).toBeTruthy();
    expect(socket.destroyed).toBe(false);
    expect(socket.remotePort).toBe(direct.port);
    socket.write('GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n');
    let reply = '';
    for await (const chunk of socket) reply += String(chunk);
    expect(reply).toMatch(/^HTTP\/1\.1 200 OK\r\n/);
    expect(reply.endsWith('pinned ok')).toBe(true);
    expect(direct.stats.bytes).toBeGreaterThan(0);
    socket.destroy();
  });

  it('refuses a server from another CA before sending a byte', async () => {
    const before = { ...foreign.stats };
    const result = await connectPinned({ host: '127.0.0.1', port: foreign.port, cas: [ca.node] });
    expect(result).toEqual({ refused: 'certificate was not issued by the pinned CA' });
    // The server sees the connection close; whatever the client had sent would have arrived before.
    await expect.poll(() => foreign.stats.closed).toBe(before.closed + 1);
    expect(foreign.stats.connections).toBe(before.connections + 1);
    expect(foreign.stats.bytes).toBe(before.bytes);
    expect(foreign.stats.requests).toBe(before.requests);
  });

  it('plainRequest uses the pinned connection without building the full context', async () => {
    contextCalls = 0;
    const res = await get(direct);
    expect([res.statusCode, res.body.toString()]).toEqual([200, 'pinned ok']);
    expect(contextCalls).toBe(0);
  });

  it('plainRequest falls back to full verification for a chain through an intermediate', async () => {
    const pinned = await connectPinned({ host: '127.0.0.1', port: chained.port, cas: parseCas(ca.pem) });
    expect(pinned).toEqual({ refused: 'certificate was not issued by the pinned CA' });
    contextCalls = 0;
    const requests = chained.stats.requests;
    const res = await get(chained);
    expect([res.statusCode, res.body.toString()]).toEqual([200, 'pinned ok']);
    expect(contextCalls).toBe(1);
    expect(chained.stats.requests).toBe(requests + 1);
  });

  it('plainRequest rejects a server the pinned CA does not vouch for, and sends no request', async () => {
    contextCalls = 0;
    const closed = foreign.stats.closed;
    const err = (await get(foreign).catch((e: unknown) => e)) as NodeJS.ErrnoException;
    expect(err).toBeInstanceOf(Error);
    expect(err.code).toBe('UNABLE_TO_VERIFY_LEAF_SIGNATURE');
    expect(contextCalls).toBe(1);
    await expect.poll(() => foreign.stats.closed).toBeGreaterThan(closed);
    expect(foreign.stats.requests).toBe(0);
  });

  it('rejects on an aborted signal', async () => {
    const opts = { host: '127.0.0.1', port: direct.port, cas: [ca.node] };
    await expect(connectPinned({ ...opts, signal: AbortSignal.abort() })).rejects.toMatchObject({ name: 'AbortError' });
    const controller = new AbortController();
    const pending = connectPinned({ ...opts, signal: controller.signal });
    controller.abort();
    await expect(pending).rejects.toMatchObject({ name: 'AbortError' });
  });
});
