import { webcrypto, X509Certificate as NodeX509 } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import * as x509 from '@peculiar/x509';
import { dataFiles } from '../shared/paths.js';
import { writeSecretFile as writePrivate } from './secret-files.js';

type CryptoKey = webcrypto.CryptoKey;
type CryptoKeyPair = webcrypto.CryptoKeyPair;

x509.cryptoProvider.set(webcrypto as unknown as Parameters<typeof x509.cryptoProvider.set>[0]);

const ALG = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' } as const;
const DAY = 24 * 60 * 60 * 1000;

export interface TlsMaterial {
  ca: string;
  cert: string;
  key: string;
}

async function exportKeyPem(key: CryptoKey): Promise<string> {
  const der = Buffer.from(await webcrypto.subtle.exportKey('pkcs8', key));
  const body = der.toString('base64').replace(/(.{64})/g, '$1\n');
  return `-----BEGIN PRIVATE KEY-----\n${body.trimEnd()}\n-----END PRIVATE KEY-----\n`;
}

async function importKeyPem(pem: string): Promise<CryptoKey> {
  const der = Buffer.from(pem.replace(/-----[^-]+-----|\s/g, ''), 'base64');
  return (await webcrypto.subtle.importKey('pkcs8', der, ALG, true, ['sign'])) as unknown as CryptoKey;
}

function serial(): string {
  return Buffer.from(webcrypto.getRandomValues(new Uint8Array(16)))
    .toString('hex')
    .replace(/^[89a-f]/, '1');
}

async function createCa(): Promise<{ certPem: string; keyPem: string }> {
  const keys = (await webcrypto.subtle.generateKey(ALG, true, ['sign', 'verify'])) as unknown as CryptoKeyPair;
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: serial(),
    name: 'CN=ebcli embedded CA',
    notBefore: new Date(Date.now() - DAY),
    notAfter: new Date(Date.now() + 3650 * DAY),
    signingAlgorithm: ALG,
    keys,
    extensions: [
      new x509.BasicConstraintsExtension(true, 0, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
    ],
  });
  return { certPem: `${cert.toString('pem').trimEnd()}\n`, keyPem: await exportKeyPem(keys.privateKey) };
}

async function createServerCert(caCertPem: string, caKeyPem: string, hosts: string[]) {
  const caCert = new x509.X509Certificate(caCertPem);
  const caKey = await importKeyPem(caKeyPem);
  const keys = (await webcrypto.subtle.generateKey(ALG, true, ['sign', 'verify'])) as unknown as CryptoKeyPair;
  const names = normalizedHosts(hosts).map((h) =>
    /^[\d.]+$/.test(h) || h.includes(':') ? { type: 'ip' as const, value: h } : { type: 'dns' as const, value: h },
  );
  const cert = await x509.X509CertificateGenerator.create({
    serialNumber: serial(),
    subject: 'CN=ebcli control plane',
    issuer: caCert.subject,
    notBefore: new Date(Date.now() - DAY),
    notAfter: new Date(Date.now() + 825 * DAY),
    signingAlgorithm: ALG,
    publicKey: keys.publicKey,
    signingKey: caKey,
    extensions: [
      new x509.BasicConstraintsExtension(false, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
      new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth]),
      new x509.SubjectAlternativeNameExtension(names),
      await x509.AuthorityKeyIdentifierExtension.create(caCert),
    ],
  });
  return { certPem: `${cert.toString('pem').trimEnd()}\n`, keyPem: await exportKeyPem(keys.privateKey) };
}

/** The names a certificate's subjectAltName lists (`DNS:…`, `IP Address:…`), as plain hosts. */
export function certificateHosts(pem: string | Buffer): string[] {
  const cert = new NodeX509(pem);
  return (cert.subjectAltName ?? '')
    .split(',')
    .map((s) => s.trim().replace(/^(DNS|IP Address):/, ''))
    .filter(Boolean);
}

/** Hosts as the certificate states them (IPv6 without brackets, DNS names lower case), unique and sorted. */
export function normalizedHosts(hosts: string[]): string[] {
  return [...new Set(hosts.map((h) => h.replace(/^\[|\]$/g, '').toLowerCase()))].sort();
}

/** The server certificate exists, is not near expiry, and names exactly `hosts`. */
function stillValid(certFile: string, hosts: string[]): boolean {
  if (!existsSync(certFile)) return false;
  const pem = readFileSync(certFile);
  const cert = new NodeX509(pem);
  if (Date.parse(cert.validTo) - Date.now() <= 7 * DAY) return false;
  const named = normalizedHosts(certificateHosts(pem).map(canonicalIp));
  return named.join(',') === normalizedHosts(hosts.map(canonicalIp)).join(',');
}

/** `::1` and `0:0:0:0:0:0:0:1` are one address: compare IPv6 in Node's canonical form. */
function canonicalIp(host: string): string {
  const h = host.replace(/^\[|\]$/g, '');
  if (!h.includes(':')) return h;
  try {
    return new URL(`http://[${h}]/`).hostname.replace(/^\[|\]$/g, '');
  } catch {
    return h;
  }
}

/** Names every server certificate carries: the loopback addresses the CLI and local machines use. */
export const LOOPBACK_HOSTS = ['127.0.0.1', 'localhost', '::1'];

/**
 * Loads the embedded CA and server certificate from the data directory, creating them on
 * first start. The server certificate (signed by the same CA) is issued again when it nears
 * expiry or when the hosts it must name change (a new `--listen` address or `--public-url` host).
 */
export async function ensureTls(dataDir: string, hosts = LOOPBACK_HOSTS): Promise<TlsMaterial> {
  const files = dataFiles(dataDir);
  if (!existsSync(files.caCert) || !existsSync(files.caKey)) {
    const ca = await createCa();
    writePrivate(files.caKey, ca.keyPem);
    writeFileSync(files.caCert, ca.certPem, { mode: 0o644 });
  }
  const caPem = readFileSync(files.caCert, 'utf8');
  if (!stillValid(files.serverCert, hosts) || !existsSync(files.serverKey)) {
    const server = await createServerCert(caPem, readFileSync(files.caKey, 'utf8'), hosts);
    writePrivate(files.serverKey, server.keyPem);
    writeFileSync(files.serverCert, server.certPem + caPem, { mode: 0o644 });
  }
  return { ca: caPem, cert: readFileSync(files.serverCert, 'utf8'), key: readFileSync(files.serverKey, 'utf8') };
}
