import { X509Certificate, randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { request } from 'node:https';
import type { EbClient } from '../client/client.js';
import { proxyEnv } from '../client/transport.js';
import { trustOptions } from '../shared/tls-trust.js';
import { compatibleRelease, RELEASE } from '../shared/release.js';

export interface Check {
  name: string;
  status: 'ok' | 'warn' | 'fail' | 'skip';
  detail: string;
}

/** Whether NO_PROXY (comma list of hosts, `.suffix`, `*`, optional `:port`) exempts a URL. */
export function bypassesProxy(url: URL, noProxy: string | undefined): boolean {
  if (!noProxy) return false;
  const host = url.hostname.replace(/^\[|\]$/g, '').toLowerCase();
  const port = url.port || (url.protocol === 'https:' ? '443' : '80');
  return noProxy.split(/[\s,]+/).some((raw) => {
    const entry = raw.trim().toLowerCase();
    if (!entry) return false;
    if (entry === '*') return true;
    const [h = '', p] = entry.split(/:(?=\d+$)/);
    if (p && p !== port) return false;
    const bare = h.replace(/^\*?\./, '');
    return host === bare || host.endsWith(`.${bare}`);
  });
}

export function caCheck(caFile: string | undefined, from: string | undefined): Check {
  if (!caFile) return { name: 'TLS trust', status: 'ok', detail: 'system roots (no CA file configured)' };
  try {
    const cert = new X509Certificate(readFileSync(caFile));
    const expired = new Date(cert.validTo).getTime() < Date.now();
    return {
      name: 'TLS trust',
      status: expired ? 'fail' : 'ok',
      detail: `${caFile} (${from ?? 'set'}): ${cert.subject.replace(/\n/g, ', ')}, valid to ${cert.validTo}; merged with system roots`,
    };
  } catch (err) {
    return { name: 'TLS trust', status: 'fail', detail: `${caFile}: ${(err as Error).message}` };
  }
}

export function proxyCheck(url: URL): Check {
  const p = proxyEnv(process.env);
  const proxy = url.protocol === 'https:' ? (p.httpsProxy ?? p.httpProxy) : p.httpProxy;
  if (!proxy) return { name: 'proxy', status: 'ok', detail: 'none configured (direct connection)' };
  if (bypassesProxy(url, p.noProxy))
    return { name: 'proxy', status: 'ok', detail: `${url.host} bypasses ${proxy} (NO_PROXY)` };
  return { name: 'proxy', status: 'ok', detail: `via ${proxy.replace(/\/\/[^@/]*@/, '//***@')}` };
}

/** Health (public), then the release header, then the token. */
export async function apiChecks(client: EbClient, tokenFrom: string | undefined): Promise<Check[]> {
  const checks: Check[] = [];
  try {
    const res = await client.http.request<{ release?: string }>('GET', '/services/health', { timeoutMs: 5000 });
    checks.push({ name: 'endpoint', status: 'ok', detail: `${client.baseUrl} answers (HTTP ${res.status})` });
    const release = client.http.lastRelease ?? res.data?.release;
    checks.push({
      name: 'API release',
      status: !release || compatibleRelease(release) ? 'ok' : 'fail',
      detail: release ? `ElasticBox-Release ${release}` : `no release header (counts as ${RELEASE})`,
    });
  } catch (err) {
    checks.push({ name: 'endpoint', status: 'fail', detail: (err as Error).message });
    return checks;
  }
  if (!tokenFrom) {
    checks.push({ name: 'token', status: 'fail', detail: 'no token: run `ebcli login` or set EBCLI_TOKEN' });
    return checks;
  }
  try {
    const me = await client.profile.retrieve();
    checks.push({ name: 'token', status: 'ok', detail: `valid for ${me.email} (${tokenFrom})` });
  } catch (err) {
    checks.push({ name: 'token', status: 'fail', detail: `${(err as Error).message} (${tokenFrom})` });
  }
  return checks;
}

/** A websocket upgrade of the event tail (direct connections only). */
export function websocketCheck(url: URL, token: string | undefined, ca: string | undefined): Promise<Check> {
  const name = 'websocket upgrade';
  const p = proxyEnv(process.env);
  if ((p.httpsProxy || p.httpProxy) && !bypassesProxy(url, p.noProxy)) {
    return Promise.resolve({ name, status: 'skip', detail: 'not checked through a proxy' });
  }
  return new Promise((resolve) => {
    const req = request(new URL('/services/events', url), {
      ...trustOptions(ca),
      timeout: 5000,
      headers: {
        connection: 'Upgrade',
        upgrade: 'websocket',
        'sec-websocket-version': '13',
        'sec-websocket-key': randomBytes(16).toString('base64'),
        ...(token ? { 'elasticbox-token': token } : {}),
      },
    });
    req.on('upgrade', (_res, socket) => {
      socket.destroy();
      resolve({ name, status: 'ok', detail: '101 Switching Protocols on /services/events' });
    });
    req.on('response', (res) => {
      res.resume();
      resolve({ name, status: 'warn', detail: `HTTP ${res.statusCode} instead of 101 on /services/events` });
    });
    req.on('timeout', () => req.destroy(new Error('timed out')));
    req.on('error', (err) => resolve({ name, status: 'fail', detail: err.message }));
    req.end();
  });
}
