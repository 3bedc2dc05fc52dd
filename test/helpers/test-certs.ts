/**
 * Throwaway X.509 material for TLS tests (quality.md A5): a private CA and server certificates it
 * signs, with the names and validity a case needs (a wrong host, an expired one). Made by the
 * control plane's own issuer (src/server/tls/issue.ts), so tests use the certificates it makes.
 */
import { createCa, createServerCert } from '../../src/server/tls/issue.js';

const DAY = 24 * 60 * 60 * 1000;

export interface Pem {
  cert: string;
  key: string;
}

export interface TestCa extends Pem {
  /** A server certificate for `hosts` (IPs or DNS names), valid from `notBefore` to `notAfter`. */
  issue(hosts: string[], validity?: { notBefore?: Date; notAfter?: Date }): Promise<Pem>;
}

export async function createTestCa(name = 'ebcli test CA'): Promise<TestCa> {
  const ca = await createCa({ name, notAfter: new Date(Date.now() + 30 * DAY) });
  return {
    cert: ca.certPem,
    key: ca.keyPem,
    async issue(hosts, validity = {}) {
      const leaf = await createServerCert(ca.certPem, ca.keyPem, hosts, {
        name: hosts[0],
        notAfter: new Date(Date.now() + 30 * DAY),
        ...validity,
      });
      return { cert: leaf.certPem, key: leaf.keyPem };
    },
  };
}
