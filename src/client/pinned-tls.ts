import { X509Certificate } from 'node:crypto';
import { isIP } from 'node:net';
import { checkServerIdentity, connect, createSecureContext, type SecureContext, type TLSSocket } from 'node:tls';
import { certFields, keyUsageBits } from './cert-fields.js';

/**
 * Server verification against a pinned CA without OpenSSL's root store.
 *
 * Any Node TLS context that verifies peers builds a store of the ~140 bundled roots the first time
 * one is used (about 20 ms, unless `NODE_EXTRA_CA_CERTS` already paid it at start-up). A short
 * command talking to a server whose certificate the pinned CA signed directly (the embedded
 * control plane) needs none of them: it connects with an empty store, then accepts the peer only
 * when {@link pinnedPeerError} finds nothing wrong. Anything else (a chain through an
 * intermediate, a publicly trusted server) is refused here and left to a full OpenSSL check.
 *
 * The check is the one-link case of path validation: signature, issuer name and key identifiers
 * (OpenSSL's `X509_check_issued`, which also wants `keyCertSign` when the CA lists key usages),
 * basic constraints, validity, extended key usage and host name. It must accept nothing OpenSSL
 * would refuse (test/client/pinned-tls-differential.test.ts checks that over generated
 * certificates), so where OpenSSL's rules get involved it refuses and lets OpenSSL decide: either
 * certificate with a critical extension other than basic constraints, key usage, extended key
 * usage and subject alternative names, or with name constraints, policy extensions or a Netscape
 * certificate type; a leaf whose key usages allow neither digitalSignature nor keyEncipherment or
 * whose extended key usages lack serverAuth (OpenSSL does not take anyExtendedKeyUsage for it); a
 * CA whose extended key usages lack serverAuth; signatures other than RSA PKCS#1 v1.5 or ECDSA
 * with SHA-256/384/512 or EdDSA (no SHA-1); keys under 2048-bit RSA or P-256.
 */

const PEM_BLOCK = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g;
const SERVER_AUTH = '1.3.6.1.5.5.7.3.1';
const KEY_USAGE = '2.5.29.15';
/** Extensions that may be critical: OpenSSL handles them, and so does this check. */
const CRITICAL_OK = new Set([KEY_USAGE, '2.5.29.17', '2.5.29.19', '2.5.29.37']);
/** Name constraints, certificate policies, policy mappings and constraints, inhibit any policy, Netscape cert type. */
const LEFT_TO_OPENSSL = new Set([
  '2.5.29.30',
  '2.5.29.32',
  '2.5.29.33',
  '2.5.29.36',
  '2.5.29.54',
  '2.16.840.1.113730.1.1',
]);
const STRONG_SIGNATURES = new Set([
  '1.2.840.113549.1.1.11', // sha256WithRSAEncryption
  '1.2.840.113549.1.1.12', // sha384WithRSAEncryption
  '1.2.840.113549.1.1.13', // sha512WithRSAEncryption
  '1.2.840.10045.4.3.2', // ecdsa-with-SHA256
  '1.2.840.10045.4.3.3', // ecdsa-with-SHA384
  '1.2.840.10045.4.3.4', // ecdsa-with-SHA512
  '1.3.101.112', // Ed25519
  '1.3.101.113', // Ed448
]);
const STRONG_CURVES = new Set(['prime256v1', 'secp384r1', 'secp521r1']);
const DIGITAL_SIGNATURE = 0;
const KEY_ENCIPHERMENT = 2;

/** The certificates of a PEM text; unparseable blocks are skipped (the full check reports them). */
export function parseCas(pem: string): X509Certificate[] {
  return (pem.match(PEM_BLOCK) ?? []).flatMap((block) => {
    try {
      return [new X509Certificate(block)];
    } catch {
      return [];
    }
  });
}

/** OpenSSL (without partial chains, as Node runs it) trusts only self-signed anchors; so does this. */
const selfSigned = (cert: X509Certificate) => cert.checkIssued(cert) && cert.verify(cert.publicKey);

const within = (cert: X509Certificate, now: number) =>
  Date.parse(cert.validFrom) <= now && now <= Date.parse(cert.validTo);

function strongKey(cert: X509Certificate): boolean {
  const key = cert.publicKey;
  const details = key.asymmetricKeyDetails ?? {};
  if (key.asymmetricKeyType === 'rsa') return (details.modulusLength ?? 0) >= 2048;
  if (key.asymmetricKeyType === 'ec') return STRONG_CURVES.has(details.namedCurve ?? '');
  return key.asymmetricKeyType === 'ed25519' || key.asymmetricKeyType === 'ed448';
}

/** What about `cert` (leaf or pinned CA) the check leaves to OpenSSL, or `undefined`. */
function certificateError(cert: X509Certificate, role: 'leaf' | 'ca'): string | undefined {
  const what = role === 'leaf' ? 'certificate' : 'pinned CA';
  const fields = certFields(cert.raw);
  if (!fields || !fields.algorithmsMatch) return `${what} is malformed`;
  if (!STRONG_SIGNATURES.has(fields.signatureOid)) return `${what} has a weak or unusual signature`;
  if (!strongKey(cert)) return `${what} has a weak or unusual key`;
  const oids = fields.extensions.map((e) => e.oid);
  if (new Set(oids).size !== oids.length) return `${what} repeats an extension`;
  for (const ext of fields.extensions) {
    if ((ext.critical && !CRITICAL_OK.has(ext.oid)) || LEFT_TO_OPENSSL.has(ext.oid))
      return `${what} has an extension left to full verification`;
  }
  const eku = cert.keyUsage;
  if (eku && !eku.includes(SERVER_AUTH)) return `${what} is not for server authentication`;
  if (role === 'leaf') {
    const ku = fields.extensions.find((e) => e.oid === KEY_USAGE);
    const bits = ku && keyUsageBits(ku.value);
    if (ku && !(bits?.has(DIGITAL_SIGNATURE) || bits?.has(KEY_ENCIPHERMENT)))
      return 'certificate key usage allows neither digital signatures nor key encipherment';
  }
  return undefined;
}

/**
 * Why `leaf` may not be trusted for `host` on the strength of `cas` alone, or `undefined` when it
 * may: a CA among `cas` (basic constraints CA, in its validity period) issued it and its signature
 * verifies with that CA's key (a self-signed root, as OpenSSL requires of an anchor), the leaf is
 * in its validity period, allows server authentication when it lists extended key usages, passes
 * the stricter rules above, and names `host` (Node's own `checkServerIdentity` rules).
 */
export function pinnedPeerError(
  leaf: X509Certificate,
  cas: X509Certificate[],
  host: string,
  now = Date.now(),
): string | undefined {
  if (!within(leaf, now)) return 'certificate is outside its validity period';
  const leafError = certificateError(leaf, 'leaf');
  if (leafError) return leafError;
  const issuer = cas.find(
    (ca) => ca.ca && selfSigned(ca) && within(ca, now) && leaf.checkIssued(ca) && leaf.verify(ca.publicKey),
  );
  if (!issuer) return 'certificate was not issued by the pinned CA';
  const caError = certificateError(issuer, 'ca');
  if (caError) return caError;
  const identity = checkServerIdentity(host, leaf.toLegacyObject());
  return identity?.message;
}

let emptyStore: SecureContext | undefined;

export interface PinnedConnectOptions {
  host: string;
  port: number;
  cas: X509Certificate[];
  signal?: AbortSignal;
}

/** The result of {@link connectPinned}: a socket that passed, or the reason it did not. */
export type PinnedConnection = { socket: TLSSocket } | { refused: string };

/**
 * Opens a TLS 1.2+ connection and checks the server against `cas` before anything is sent.
 * Rejects on connection errors; resolves `{ refused }` (socket closed) when the check fails.
 */
export function connectPinned(opts: PinnedConnectOptions): Promise<PinnedConnection> {
  const host = opts.host.replace(/^\[(.*)\]$/, '$1');
  // `ca: []` keeps the context's store empty: OpenSSL's own verdict is ignored below.
  emptyStore ??= createSecureContext({ minVersion: 'TLSv1.2', ca: [] });
  return new Promise((resolve, reject) => {
    const socket = connect({
      host,
      port: opts.port,
      servername: isIP(host) ? undefined : host,
      secureContext: emptyStore,
      minVersion: 'TLSv1.2',
      ALPNProtocols: ['http/1.1'],
      rejectUnauthorized: false,
    });
    const abort = () => socket.destroy(opts.signal?.reason as Error);
    if (opts.signal?.aborted) abort();
    else opts.signal?.addEventListener('abort', abort, { once: true });
    const settled = () => opts.signal?.removeEventListener('abort', abort);
    const failed = (err: Error) => (settled(), reject(err));
    socket.once('error', failed);
    socket.once('secureConnect', () => {
      // The caller hands the socket to an HTTP request at once, which listens for errors from then on.
      socket.off('error', failed);
      settled();
      const leaf = socket.getPeerX509Certificate();
      const refused = leaf ? pinnedPeerError(leaf, opts.cas, host) : 'no server certificate';
      if (refused) {
        socket.destroy();
        resolve({ refused });
      } else resolve({ socket });
    });
  });
}
