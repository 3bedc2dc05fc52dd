import { X509Certificate } from 'node:crypto';
import { isIP } from 'node:net';
import { checkServerIdentity, connect, createSecureContext, type SecureContext, type TLSSocket } from 'node:tls';

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
 * basic constraints, validity, extended key usage and host name. It does not read name
 * constraints or unknown critical extensions of the pinned CA: the user trusts that CA outright.
 */

const PEM_BLOCK = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g;
const SERVER_AUTH = '1.3.6.1.5.5.7.3.1';
const ANY_EXTENDED_KEY_USAGE = '2.5.29.37.0';

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

/**
 * Why `leaf` may not be trusted for `host` on the strength of `cas` alone, or `undefined` when it
 * may: a CA among `cas` (basic constraints CA, in its validity period) issued it and its signature
 * verifies with that CA's key (a self-signed root, as OpenSSL requires of an anchor), the leaf is in its validity period, allows server authentication
 * when it lists extended key usages, and names `host` (Node's own `checkServerIdentity` rules).
 */
export function pinnedPeerError(
  leaf: X509Certificate,
  cas: X509Certificate[],
  host: string,
  now = Date.now(),
): string | undefined {
  if (!within(leaf, now)) return 'certificate is outside its validity period';
  const usages = leaf.keyUsage;
  if (usages && !usages.includes(SERVER_AUTH) && !usages.includes(ANY_EXTENDED_KEY_USAGE))
    return 'certificate is not for server authentication';
  const issuer = cas.find(
    (ca) => ca.ca && selfSigned(ca) && within(ca, now) && leaf.checkIssued(ca) && leaf.verify(ca.publicKey),
  );
  if (!issuer) return 'certificate was not issued by the pinned CA';
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
