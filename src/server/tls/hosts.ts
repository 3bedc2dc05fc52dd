/** Which hosts a server certificate names (shared by the certificate check and its issuer). */

/** Names every server certificate carries: the loopback addresses the CLI and local machines use. */
export const LOOPBACK_HOSTS = ['127.0.0.1', 'localhost', '::1'];

/** Hosts as the certificate states them (IPv6 without brackets, DNS names lower case), unique and sorted. */
export function normalizedHosts(hosts: string[]): string[] {
  return [...new Set(hosts.map((h) => h.replace(/^\[|\]$/g, '').toLowerCase()))].sort();
}
