/**
 * The agent's way out through an HTTP proxy (CAM: agents behind a corporate proxy). The proxy is
 * the `proxy` setting of the agent's configuration or, without one, `HTTPS_PROXY` / `https_proxy`
 * (`ALL_PROXY`); `NO_PROXY` / `no_proxy` lists hosts reached directly. The connection to the
 * control plane is an HTTP CONNECT tunnel (basic credentials from the proxy URL's user info) with
 * TLS to the control plane inside it: the proxy never sees the traffic, the agent still checks
 * the control plane's certificate.
 */
import { HttpsProxyAgent } from 'https-proxy-agent';

/** A proxy URL checked: http or https, host, optional port and basic credentials, nothing else. */
export function checkProxyUrl(value: string): URL {
  let u: URL;
  try {
    u = new URL(value);
  } catch {
    throw new Error('the proxy setting is not a URL (expected http://[user:password@]host:port)');
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new Error('the proxy URL must use http or https');
  if ((u.pathname !== '/' && u.pathname !== '') || u.search || u.hash) {
    throw new Error('the proxy URL takes no path, query or fragment');
  }
  return u;
}

/**
 * Whether `NO_PROXY` (comma or space separated: `*`, host names, `.suffix` / `suffix` domain
 * matches, optional `:port`) says to reach `target` directly.
 */
export function bypassesProxy(target: URL, noProxy: string | undefined): boolean {
  if (!noProxy) return false;
  const host = target.hostname.replace(/^\[|\]$/g, '').toLowerCase();
  const port = target.port || (target.protocol === 'https:' || target.protocol === 'wss:' ? '443' : '80');
  return noProxy
    .split(/[\s,]+/)
    .filter(Boolean)
    .some((entry) => {
      if (entry === '*') return true;
      // A bare IPv6 address has several colons and no port; `[v6]:port` and `host:port` have one.
      const bareV6 = (entry.match(/:/g) ?? []).length > 1 && !entry.startsWith('[');
      const m = (bareV6 ? [entry, entry] : /^(.*?)(?::(\d+))?$/.exec(entry.toLowerCase())) as RegExpExecArray;
      const name = (m[1] ?? '').replace(/^\*?\./, '').replace(/^\[|\]$/g, '');
      if (m[2] && m[2] !== port) return false;
      return host === name || host.endsWith(`.${name}`);
    });
}

/**
 * The proxy to reach `target` (the control plane URL) through, or undefined for a direct
 * connection: the configured `proxy`, else `HTTPS_PROXY` / `https_proxy` / `ALL_PROXY` /
 * `all_proxy`; either way not for a host `NO_PROXY` / `no_proxy` lists.
 */
export function proxyFor(
  target: string,
  configured?: string,
  env: NodeJS.ProcessEnv = process.env,
): string | undefined {
  const proxy = configured || env.HTTPS_PROXY || env.https_proxy || env.ALL_PROXY || env.all_proxy;
  if (!proxy) return undefined;
  if (bypassesProxy(new URL(target), env.NO_PROXY ?? env.no_proxy)) return undefined;
  return checkProxyUrl(proxy).toString();
}

/** The http.Agent that tunnels a connection through `proxy` with CONNECT. */
export function tunnelAgent(proxy: string): HttpsProxyAgent<string> {
  return new HttpsProxyAgent(proxy, { keepAlive: false });
}

/** The proxy URL without its credentials, for logs. */
export function proxyForLog(proxy: string): string {
  const u = new URL(proxy);
  u.username = '';
  u.password = '';
  return u.toString();
}
