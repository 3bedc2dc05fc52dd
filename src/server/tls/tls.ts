import { X509Certificate as NodeX509 } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { dataFiles } from '../../shared/paths.js';
import { writeSecretFile as writePrivate } from '../secret-files.js';
import { LOOPBACK_HOSTS, normalizedHosts } from './hosts.js';

export { LOOPBACK_HOSTS, normalizedHosts } from './hosts.js';

const DAY = 24 * 60 * 60 * 1000;

export interface TlsMaterial {
  ca: string;
  cert: string;
  key: string;
}

/** The names a certificate's subjectAltName lists (`DNS:…`, `IP Address:…`), as plain hosts. */
export function certificateHosts(pem: string | Buffer): string[] {
  const cert = new NodeX509(pem);
  return (cert.subjectAltName ?? '')
    .split(',')
    .map((s) => s.trim().replace(/^(DNS|IP Address):/, ''))
    .filter(Boolean);
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

/**
 * Loads the embedded CA and server certificate from the data directory, creating them on
 * first start. The server certificate (signed by the same CA) is issued again when it nears
 * expiry or when the hosts it must name change (a new `--listen` address or `--public-url` host).
 */
export async function ensureTls(dataDir: string, hosts = LOOPBACK_HOSTS): Promise<TlsMaterial> {
  const files = dataFiles(dataDir);
  if (!existsSync(files.caCert) || !existsSync(files.caKey)) {
    const { createCa } = await import('./issue.js');
    const ca = await createCa();
    writePrivate(files.caKey, ca.keyPem);
    writeFileSync(files.caCert, ca.certPem, { mode: 0o644 });
  }
  const caPem = readFileSync(files.caCert, 'utf8');
  if (!stillValid(files.serverCert, hosts) || !existsSync(files.serverKey)) {
    const { createServerCert } = await import('./issue.js');
    const server = await createServerCert(caPem, readFileSync(files.caKey, 'utf8'), hosts);
    writePrivate(files.serverKey, server.keyPem);
    writeFileSync(files.serverCert, server.certPem + caPem, { mode: 0o644 });
  }
  return { ca: caPem, cert: readFileSync(files.serverCert, 'utf8'), key: readFileSync(files.serverKey, 'utf8') };
}
