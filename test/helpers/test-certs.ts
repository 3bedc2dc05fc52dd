/**
 * Throwaway X.509 material for TLS tests (quality.md A5): a private CA and server certificates it
 * signs, with the names and validity a case needs (a wrong host, an expired one). ECDSA P-256
 * through @peculiar/x509, as the control plane's own certificates (src/server/tls.ts).
 */
import { webcrypto } from 'node:crypto';
import * as x509 from '@peculiar/x509';

x509.cryptoProvider.set(webcrypto as unknown as Parameters<typeof x509.cryptoProvider.set>[0]);

const ALG = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' } as const;
const DAY = 24 * 60 * 60 * 1000;

export interface Pem {
  cert: string;
  key: string;
}

type Keys = { publicKey: webcrypto.CryptoKey; privateKey: webcrypto.CryptoKey };

async function keyPem(key: webcrypto.CryptoKey): Promise<string> {
  const der = Buffer.from(await webcrypto.subtle.exportKey('pkcs8', key));
  return `-----BEGIN PRIVATE KEY-----\n${der
    .toString('base64')
    .replace(/(.{64})/g, '$1\n')
    .trimEnd()}\n-----END PRIVATE KEY-----\n`;
}

const serial = () => `01${Buffer.from(webcrypto.getRandomValues(new Uint8Array(15))).toString('hex')}`;

export interface TestCa extends Pem {
  /** A server certificate for `hosts` (IPs or DNS names), valid from `notBefore` to `notAfter`. */
  issue(hosts: string[], validity?: { notBefore?: Date; notAfter?: Date }): Promise<Pem>;
}

export async function createTestCa(name = 'ebcli test CA'): Promise<TestCa> {
  const keys = (await webcrypto.subtle.generateKey(ALG, true, ['sign', 'verify'])) as unknown as Keys;
  const ca = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: serial(),
    name: `CN=${name}`,
    notBefore: new Date(Date.now() - DAY),
    notAfter: new Date(Date.now() + 30 * DAY),
    signingAlgorithm: ALG,
    keys,
    extensions: [
      new x509.BasicConstraintsExtension(true, 0, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
    ],
  });
  return {
    cert: `${ca.toString('pem').trimEnd()}\n`,
    key: await keyPem(keys.privateKey),
    async issue(hosts, validity = {}) {
      const leaf = (await webcrypto.subtle.generateKey(ALG, true, ['sign', 'verify'])) as unknown as Keys;
      const names = hosts.map((h) =>
        /^[\d.]+$/.test(h) || h.includes(':') ? { type: 'ip' as const, value: h } : { type: 'dns' as const, value: h },
      );
      const cert = await x509.X509CertificateGenerator.create({
        serialNumber: serial(),
        subject: `CN=${hosts[0]}`,
        issuer: ca.subject,
        notBefore: validity.notBefore ?? new Date(Date.now() - DAY),
        notAfter: validity.notAfter ?? new Date(Date.now() + 30 * DAY),
        signingAlgorithm: ALG,
        publicKey: leaf.publicKey,
        signingKey: keys.privateKey,
        extensions: [
          new x509.BasicConstraintsExtension(false, undefined, true),
          new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
          new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth]),
          new x509.SubjectAlternativeNameExtension(names),
          await x509.AuthorityKeyIdentifierExtension.create(ca),
        ],
      });
      return { cert: `${cert.toString('pem').trimEnd()}\n`, key: await keyPem(leaf.privateKey) };
    },
  };
}
