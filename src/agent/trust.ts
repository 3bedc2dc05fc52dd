import { readFileSync } from 'node:fs';
import { rootCertificates } from 'node:tls';

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
