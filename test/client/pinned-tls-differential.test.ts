import { webcrypto, X509Certificate } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { connect, createServer } from 'node:tls';
import * as x509 from '@peculiar/x509';
import { describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connectPinned, parseCas, pinnedPeerError } from '../../src/client/pinned-tls.js';
import { ensureTls } from '../../src/server/tls/tls.js';

// Differential test of the pinned-CA fast check against OpenSSL: over generated certificates,
// everything the fast check accepts, Node's TLS with full verification (OpenSSL's path validation
// plus checkServerIdentity) against a real loopback TLS server accepts too. Nothing is mocked.

x509.cryptoProvider.set(webcrypto as unknown as Parameters<typeof x509.cryptoProvider.set>[0]);

type Key = webcrypto.CryptoKeyPair & { sign: { name: string; hash?: string } };
const DAY = 24 * 60 * 60 * 1000;
const F = x509.KeyUsageFlags;
const UNKNOWN = '1.3.6.1.4.1.55555.1';
const ANY_EKU = '2.5.29.37.0';

async function ecKey(namedCurve: string, hash = 'SHA-256'): Promise<Key> {
  const alg = { name: 'ECDSA', namedCurve };
  const pair = (await webcrypto.subtle.generateKey(alg, true, ['sign', 'verify'])) as webcrypto.CryptoKeyPair;
  return { ...pair, sign: { name: 'ECDSA', hash } };
}

async function rsaKey(modulusLength: number, hash = 'SHA-256'): Promise<Key> {
  const alg = { name: 'RSASSA-PKCS1-v1_5', modulusLength, publicExponent: new Uint8Array([1, 0, 1]), hash };
  const pair = (await webcrypto.subtle.generateKey(alg, true, ['sign', 'verify'])) as webcrypto.CryptoKeyPair;
  return { ...pair, sign: { name: 'RSASSA-PKCS1-v1_5' } };
}

interface Made {
  pem: string;
  node: X509Certificate;
  cert: x509.X509Certificate;
  key: Key;
}

interface Spec {
  name: string;
  key: Key;
  issuer?: Made;
  /** Hash of the issuer's ECDSA signature (RSA keys sign with the hash they were made for). */
  hash?: string;
  ca?: boolean;
  ku?: number | null;
  eku?: string[] | null;
  extra?: 'none' | 'unknown-critical' | 'unknown' | 'critical-ski' | 'critical-policies';
}

let serial = 1;
async function make(s: Spec): Promise<Made> {
  const signer = s.issuer?.key ?? s.key;
  const signingAlgorithm = { ...signer.sign, ...(s.hash && signer.sign.name === 'ECDSA' ? { hash: s.hash } : {}) };
  const extensions: x509.Extension[] = [new x509.BasicConstraintsExtension(Boolean(s.ca), undefined, true)];
  const ku = s.ku === undefined ? (s.ca ? F.keyCertSign | F.cRLSign : null) : s.ku;
  if (ku !== null) extensions.push(new x509.KeyUsagesExtension(ku, true));
  if (s.eku) extensions.push(new x509.ExtendedKeyUsageExtension(s.eku));
  if (!s.ca) extensions.push(new x509.SubjectAlternativeNameExtension([{ type: 'ip', value: '127.0.0.1' }]));
  extensions.push(await x509.SubjectKeyIdentifierExtension.create(s.key.publicKey, s.extra === 'critical-ski'));
  if (s.issuer) extensions.push(await x509.AuthorityKeyIdentifierExtension.create(s.issuer.cert));
  if (s.extra === 'unknown-critical' || s.extra === 'unknown')
    extensions.push(new x509.Extension(UNKNOWN, s.extra === 'unknown-critical', new Uint8Array([5, 0])));
  if (s.extra === 'critical-policies') extensions.push(new x509.CertificatePolicyExtension(['2.5.29.32.0'], true));
  const cert = await x509.X509CertificateGenerator.create({
    serialNumber: (serial++).toString(16).padStart(4, '1'),
    subject: `CN=${s.name}`,
    issuer: s.issuer ? s.issuer.cert.subject : `CN=${s.name}`,
    notBefore: new Date(Date.now() - DAY),
    notAfter: new Date(Date.now() + 30 * DAY),
    signingAlgorithm: signingAlgorithm as x509.X509CertificateCreateParamsBase['signingAlgorithm'],
    publicKey: s.key.publicKey,
    signingKey: signer.privateKey,
    extensions,
  });
  const pem = `${cert.toString('pem').trimEnd()}\n`;
  return { pem, node: new X509Certificate(pem), cert, key: s.key };
}

async function keyPem(key: Key): Promise<string> {
  const der = Buffer.from(await webcrypto.subtle.exportKey('pkcs8', key.privateKey));
  return `-----BEGIN PRIVATE KEY-----\n${der
    .toString('base64')
    .replace(/(.{64})/g, '$1\n')
    .trimEnd()}\n-----END PRIVATE KEY-----\n`;
}

/** Serves `leaf` on loopback (any key size or digest: SECLEVEL=0) and asks both checks about it. */
async function verdicts(leaf: Made, ca: Made): Promise<{ fast: boolean; openssl: boolean }> {
  const server = createServer({ key: await keyPem(leaf.key), cert: leaf.pem, ciphers: 'DEFAULT@SECLEVEL=0' });
  server.on('tlsClientError', () => undefined);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  try {
    const pinned = await connectPinned({ host: '127.0.0.1', port, cas: [ca.node] }).catch(() => undefined);
    const fast = Boolean(pinned && 'socket' in pinned);
    if (pinned && 'socket' in pinned) pinned.socket.destroy();
    const openssl = await new Promise<boolean>((resolve) => {
      const socket = connect({ host: '127.0.0.1', port, ca: [ca.pem], minVersion: 'TLSv1.2' });
      socket.once('secureConnect', () => (socket.destroy(), resolve(socket.authorized)));
      socket.once('error', () => (socket.destroy(), resolve(false)));
    });
    return { fast, openssl };
  } finally {
    await new Promise((resolve) => server.close(resolve));
  }
}

/** mulberry32: a fixed seed gives the same combinations on every run. */
function prng(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

describe('pinned-CA fast check versus OpenSSL (differential)', () => {
  it('accepts nothing that full verification refuses, over generated certificates', { timeout: 120_000 }, async () => {
    const [p256, p384, rsa1024, rsa2048, caEc, caRsa, caRsaSha1] = await Promise.all([
      ecKey('P-256'),
      ecKey('P-384'),
      rsaKey(1024),
      rsaKey(2048),
      ecKey('P-256'),
      rsaKey(2048),
      rsaKey(2048, 'SHA-1'),
    ]);
    const cas: Made[] = [
      await make({ name: 'ec CA', key: caEc, ca: true }),
      await make({ name: 'rsa CA', key: caRsa, ca: true }),
      await make({ name: 'sha1 CA', key: caRsaSha1, ca: true }),
      await make({ name: 'critical CA', key: caEc, ca: true, extra: 'unknown-critical' }),
      await make({ name: 'client CA', key: caEc, ca: true, eku: [x509.ExtendedKeyUsage.clientAuth] }),
      await make({ name: 'server CA', key: caEc, ca: true, eku: [x509.ExtendedKeyUsage.serverAuth] }),
      await make({ name: 'signing CA', key: caEc, ca: true, ku: F.digitalSignature }),
      await make({ name: 'policy CA', key: caEc, ca: true, extra: 'critical-policies' }),
    ];
    const keys = [p256, p384, rsa1024, rsa2048];
    const kus = [null, F.digitalSignature, F.keyEncipherment, F.keyAgreement, F.digitalSignature | F.keyEncipherment];
    const ekus = [
      null,
      [x509.ExtendedKeyUsage.serverAuth],
      [x509.ExtendedKeyUsage.clientAuth],
      [ANY_EKU],
      [x509.ExtendedKeyUsage.clientAuth, x509.ExtendedKeyUsage.serverAuth],
    ];
    const extras = ['none', 'unknown-critical', 'unknown', 'critical-ski', 'critical-policies'] as const;
    const hashes = ['SHA-256', 'SHA-1', 'SHA-384'];
    const random = prng(20261204);
    const pick = <T>(list: readonly T[]): T => list[Math.floor(random() * list.length)]!;

    const cases: Spec[] = [
      // The good case, and one per rule, so each is exercised whatever the sample holds.
      { name: 'good', key: p256, issuer: cas[0], eku: [x509.ExtendedKeyUsage.serverAuth] },
      { name: 'sha1', key: p256, issuer: cas[0], hash: 'SHA-1' },
      { name: 'rsa1024', key: rsa1024, issuer: cas[1] },
      { name: 'critical', key: p256, issuer: cas[0], extra: 'unknown-critical' },
      { name: 'agreement', key: p256, issuer: cas[0], ku: F.keyAgreement },
      { name: 'any-eku', key: p256, issuer: cas[0], eku: [ANY_EKU] },
    ];
    for (let i = 0; i < 70; i++) {
      cases.push({
        name: `case ${i}`,
        key: pick(keys),
        issuer: pick(cas),
        hash: pick(hashes),
        ku: pick(kus),
        eku: pick(ekus),
        extra: pick(extras),
      });
    }

    const outcomes: { spec: Spec; fast: boolean; openssl: boolean; why?: string }[] = [];
    for (const spec of cases) {
      const leaf = await make(spec);
      const ca = spec.issuer!;
      const v = await verdicts(leaf, ca);
      outcomes.push({ spec, ...v, why: pinnedPeerError(leaf.node, [ca.node], '127.0.0.1') });
    }
    const describeCase = (o: (typeof outcomes)[number]) =>
      `${o.spec.name}: ca=${o.spec.issuer!.cert.subject} ku=${o.spec.ku} eku=${o.spec.eku} extra=${o.spec.extra} hash=${o.spec.hash}`;
    const unsound = outcomes.filter((o) => o.fast && !o.openssl).map(describeCase);
    expect(unsound).toEqual([]);

    // The check is useful (it accepts the common case) and the sample is not trivial.
    const byName = new Map(outcomes.map((o) => [o.spec.name, o]));
    expect(byName.get('good')).toMatchObject({ fast: true, openssl: true });
    expect(outcomes.filter((o) => o.fast).length).toBeGreaterThan(3);
    expect(outcomes.filter((o) => !o.openssl).length).toBeGreaterThan(10);
    // What the fast check refuses goes to full verification; each rule refuses its case.
    expect(byName.get('sha1')?.why).toBe('certificate has a weak or unusual signature');
    expect(byName.get('rsa1024')?.why).toBe('certificate has a weak or unusual key');
    expect(byName.get('critical')?.why).toBe('certificate has an extension left to full verification');
    expect(byName.get('agreement')?.why).toBe(
      'certificate key usage allows neither digital signatures nor key encipherment',
    );
    expect(byName.get('any-eku')?.why).toBe('certificate is not for server authentication');
    // OpenSSL's verdicts on those, for the record: it refuses SHA-1, critical unknowns and anyEKU.
    expect(byName.get('sha1')?.openssl).toBe(false);
    expect(byName.get('critical')?.openssl).toBe(false);
    expect(byName.get('any-eku')?.openssl).toBe(false);
  });

  it("accepts the embedded server's own certificate (short commands keep the fast path)", async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ebcli-pinned-'));
    try {
      const tls = await ensureTls(dir);
      const leaf = new X509Certificate(tls.cert);
      expect(pinnedPeerError(leaf, parseCas(tls.ca), '127.0.0.1')).toBeUndefined();
      expect(pinnedPeerError(leaf, parseCas(tls.ca), 'localhost')).toBeUndefined();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
