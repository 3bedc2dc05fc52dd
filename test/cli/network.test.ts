import { createServer, type Server } from 'node:http';
import { connect } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { ensureBuilt, runCli, tempHome } from './helpers.js';

/** A real HTTP CONNECT proxy on loopback that records every tunnel it opens. */
async function startConnectProxy(): Promise<{ url: string; tunnels: string[]; close(): Promise<void> }> {
  const tunnels: string[] = [];
  const server: Server = createServer((_req, res) => res.writeHead(405).end());
  server.on('connect', (req, client, head) => {
    tunnels.push(req.url ?? '');
    const [host = '', port = '443'] = (req.url ?? '').split(':');
    const upstream = connect(Number(port), host, () => {
      client.write('HTTP/1.1 200 Connection Established\r\n\r\n');
      upstream.write(head);
      upstream.pipe(client);
      client.pipe(upstream);
    });
    upstream.on('error', () => client.destroy());
    client.on('error', () => upstream.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  return {
    url: `http://127.0.0.1:${port}`,
    tunnels,
    close: () => new Promise((resolve) => (server.closeAllConnections(), server.close(() => resolve()))),
  };
}

describe('network: proxy and TLS trust', () => {
  let t: TestServer;
  let other: TestServer;
  let proxy: Awaited<ReturnType<typeof startConnectProxy>>;
  let home: ReturnType<typeof tempHome>;
  let base: Record<string, string>;
  const ca = (s: TestServer) => join(s.dataDir, 'tls', 'ca.pem');

  beforeAll(async () => {
    ensureBuilt();
    [t, other] = await Promise.all([startTestServer(), startTestServer()]);
    proxy = await startConnectProxy();
    home = tempHome();
    base = { ...home.env, EBCLI_URL: t.url, EBCLI_TOKEN: t.token };
  });

  afterAll(async () => {
    await proxy?.close();
    await Promise.all([t?.stop(), other?.stop()]);
    home?.cleanup();
  });

  it('goes through HTTPS_PROXY', async () => {
    const before = proxy.tunnels.length;
    const r = await runCli(['workspaces', 'list'], { env: { ...base, EBCLI_CA_FILE: ca(t), HTTPS_PROXY: proxy.url } });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(proxy.tunnels.slice(before)).toContain(new URL(t.url).host);
  });

  it('bypasses the proxy for NO_PROXY hosts', async () => {
    const before = proxy.tunnels.length;
    const env = { ...base, EBCLI_CA_FILE: ca(t), https_proxy: proxy.url, no_proxy: 'localhost,127.0.0.1' };
    const r = await runCli(['workspaces', 'list'], { env });
    expect(r.code).toBe(0);
    expect(proxy.tunnels.length).toBe(before);
  });

  it('doctor reports the proxy route', async () => {
    const r = await runCli(['doctor', '--json'], { env: { ...base, EBCLI_CA_FILE: ca(t), HTTPS_PROXY: proxy.url } });
    expect(r.code).toBe(0);
    const checks = r.json().checks as { name: string; status: string; detail: string }[];
    expect(checks.find((c) => c.name === 'proxy')?.detail).toContain(`via ${proxy.url}`);
    expect(checks.find((c) => c.name === 'token')?.status).toBe('ok');
  });

  it('refuses a server whose CA is not trusted', async () => {
    const r = await runCli(['workspaces', 'list', '--json'], { env: base });
    expect(r.code).toBe(1);
    expect(r.json().error.code).toBe('connection');
    expect(r.json().error.message).toMatch(/certificate|SELF_SIGNED/i);
  });

  it('trusts the CA given by EBCLI_CA_FILE', async () => {
    const r = await runCli(['workspaces', 'list'], { env: { ...base, EBCLI_CA_FILE: ca(t) } });
    expect(r.code).toBe(0);
  });

  it('trusts a CA from NODE_EXTRA_CA_CERTS, also when another CA is pinned (roots merged)', async () => {
    const viaNode = await runCli(['workspaces', 'list'], { env: { ...base, NODE_EXTRA_CA_CERTS: ca(t) } });
    expect(viaNode.code).toBe(0);
    const merged = await runCli(['workspaces', 'list'], {
      env: { ...base, NODE_EXTRA_CA_CERTS: ca(t), EBCLI_CA_FILE: ca(other) },
    });
    expect(merged.stderr).toBe('');
    expect(merged.code).toBe(0);
  });
});
