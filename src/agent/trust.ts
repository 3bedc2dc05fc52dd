import { readFileSync } from 'node:fs';
import { createSecureContext, rootCertificates, type SecureContext } from 'node:tls';

/**
 * The CAs the agent trusts when a CA is configured: Node's roots, the NODE_EXTRA_CA_CERTS bundle
 * (Node leaves it out as soon as `ca` is given) and the configured CA, merged (quality.md A5).
 * Without a configured CA, Node's defaults apply (roots and NODE_EXTRA_CA_CERTS): undefined.
 */
export function trustedCas(caPem: string | undefined): string[] | undefined {
  if (!caPem) return undefined;
  const extra: string[] = [];
  const file = process.env.NODE_EXTRA_CA_CERTS;
  if (file) {
    try {
      extra.push(readFileSync(file, 'utf8'));
    } catch {
      // Node itself only warns about an unreadable bundle
    }
  }
  return [...rootCertificates, ...extra, caPem];
}

let shared: { caPem: string | undefined; context: SecureContext } | undefined;

/**
 * One TLS context for every connection this process makes to the control plane (the agent's
 * websocket, the Watcher's enrollment and websocket): building one parses every trusted CA, about
 * 20 ms with Node's roots and a system bundle, which each connection would otherwise pay again.
 */
export function controlPlaneContext(caPem: string | undefined): SecureContext {
  if (!shared || shared.caPem !== caPem)
    shared = { caPem, context: createSecureContext({ ca: trustedCas(caPem), minVersion: 'TLSv1.2' }) };
  return shared.context;
}
