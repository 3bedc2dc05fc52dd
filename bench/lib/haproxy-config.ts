/**
 * The README's HAProxy configuration for replicas on loopback ports: TCP mode (TLS passes through),
 * connections to a replica that just died retried on another (`retries`, `redispatch`), health
 * checks every 300 ms. Used by the replica test (test/e2e/replicas-haproxy.test.ts, `first`: it
 * knows where things run) and the fault campaigns (bench/lib/replica-cluster.ts, round robin).
 */
export function haproxyConfig(
  listen: number,
  replicas: number[],
  opts: { balance: 'first' | 'roundrobin'; log?: boolean },
): string {
  return [
    ...(opts.log ? ['global', '  log stderr format raw local0 info'] : []),
    'defaults',
    ...(opts.log ? ['  log global', '  option tcplog'] : []),
    '  mode tcp',
    '  timeout connect 2s',
    '  timeout client 1h',
    '  timeout server 1h',
    // A connection to a replica that just died (before a check marks it down) is retried on another.
    '  retries 3',
    '  option redispatch',
    'frontend ebcli',
    `  bind 127.0.0.1:${listen}`,
    '  default_backend replicas',
    'backend replicas',
    `  balance ${opts.balance}`,
    '  default-server check inter 300ms fall 1 rise 2',
    ...replicas.map((port, i) => `  server r${i + 1} 127.0.0.1:${port}`),
    '',
  ].join('\n');
}
