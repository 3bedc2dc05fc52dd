import { readFileSync } from 'node:fs';
import { createSecureContext, rootCertificates, type SecureContext } from 'node:tls';

/**
 * The one TLS trust of every connection ebcli makes to a control plane: undici (the client),
 * `node:https` (agent enrollment, the Watcher, `doctor`), the agent's websocket and the daemon's
 * health check. It trusts the system roots, the `NODE_EXTRA_CA_CERTS` bundle and the profile's (or
 * agent configuration's) CA together: Node drops the first two as soon as `ca` is given, so they
 * are merged back in here, once (quality.md A5). TLS 1.2 is the minimum.
 */

/** The CA list for a configured CA: system roots, the `NODE_EXTRA_CA_CERTS` bundle, then `ca`. */
export function mergedCa(ca: string, env: NodeJS.ProcessEnv = process.env): string[] {
  const list = [...rootCertificates];
  if (env.NODE_EXTRA_CA_CERTS) {
    try {
      list.push(readFileSync(env.NODE_EXTRA_CA_CERTS, 'utf8'));
    } catch {
      // Node itself only warns about an unreadable NODE_EXTRA_CA_CERTS; so do we (by ignoring it).
    }
  }
  list.push(ca);
  return list;
}

const PEM_BLOCK = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g;
const squash = (pem: string) => pem.replace(/\s+/g, '');

/**
 * A fresh TLS context trusting the system roots, `NODE_EXTRA_CA_CERTS` and `ca`. Adding
 * certificates to Node's default store costs about a millisecond, where `ca: [...rootCertificates,
 * ca]` re-parses every root (tens of milliseconds); extra certificates already among the bundled
 * roots are skipped for the same reason. Falls back to the plain list if the native `addCACert`
 * is ever missing.
 */
export function trustedContext(ca: string, env: NodeJS.ProcessEnv = process.env): SecureContext {
  const ctx = createSecureContext({ minVersion: 'TLSv1.2' });
  const native = (ctx as unknown as { context?: { addCACert?: (pem: string) => void } }).context;
  if (typeof native?.addCACert !== 'function')
    return createSecureContext({ minVersion: 'TLSv1.2', ca: mergedCa(ca, env) });
  const extra = mergedCa(ca, env).slice(rootCertificates.length);
  const bundled = new Set(rootCertificates.map(squash));
  const pems = extra.flatMap((text) => text.match(PEM_BLOCK) ?? []).filter((pem) => !bundled.has(squash(pem)));
  if (pems.length) native.addCACert(pems.join('\n'));
  return ctx;
}

let shared: { ca: string | undefined; extra: string | undefined; context: SecureContext } | undefined;

/**
 * The process's one context for a CA (undefined: the system roots and `NODE_EXTRA_CA_CERTS` alone),
 * built on first use and kept while the CA stays the same: a long-running agent reconnecting to a
 * dead control plane must not build (and leak) one per attempt.
 */
export function sharedTrust(ca: string | undefined): SecureContext {
  const extra = process.env.NODE_EXTRA_CA_CERTS;
  if (!shared || shared.ca !== ca || shared.extra !== extra) {
    const context = ca ? trustedContext(ca) : createSecureContext({ minVersion: 'TLSv1.2' });
    shared = { ca, extra, context };
  }
  return shared.context;
}

/** TLS options for `node:https`, `node:tls` and `ws` with this trust. */
export function trustOptions(ca: string | undefined): { secureContext: SecureContext; minVersion: 'TLSv1.2' } {
  return { secureContext: sharedTrust(ca), minVersion: 'TLSv1.2' };
}
