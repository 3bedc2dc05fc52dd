/**
 * A tiny HTTP CONNECT proxy for tests (test-only: it stands in for a corporate proxy, which is
 * outside the project). It requires basic credentials when given some, records every tunnel it
 * opened (target host:port) and refuses anything but CONNECT.
 */
import { createServer, type Server } from 'node:http';
import { connect, type AddressInfo, type Socket } from 'node:net';

export interface ConnectProxy {
  url: string;
  port: number;
  /** `host:port` of each tunnel opened, in order. */
  tunnels: string[];
  /** CONNECT requests refused for missing or wrong credentials. */
  refused: number;
  close(): Promise<void>;
}

export async function startConnectProxy(
  opts: { host?: string; user?: string; password?: string } = {},
): Promise<ConnectProxy> {
  const host = opts.host ?? '127.0.0.1';
  const expected = opts.user
    ? `Basic ${Buffer.from(`${opts.user}:${opts.password ?? ''}`).toString('base64')}`
    : undefined;
  const sockets = new Set<Socket>();
  const server: Server = createServer((_req, res) => {
    res.writeHead(405, { connection: 'close' }).end('CONNECT only\n');
  });
  const proxy: ConnectProxy = { url: '', port: 0, tunnels: [], refused: 0, close: async () => undefined };
  server.on('connect', (req, client: Socket, head: Buffer) => {
    sockets.add(client);
    client.on('close', () => sockets.delete(client));
    client.on('error', () => undefined);
    if (expected && req.headers['proxy-authorization'] !== expected) {
      proxy.refused++;
      client.end('HTTP/1.1 407 Proxy Authentication Required\r\nProxy-Authenticate: Basic realm="test"\r\n\r\n');
      return;
    }
    const [targetHost, targetPort] = (req.url ?? '').split(/:(?=\d+$)/);
    const upstream = connect(Number(targetPort), (targetHost ?? '').replace(/^\[|\]$/g, ''), () => {
      proxy.tunnels.push(req.url ?? '');
      client.write('HTTP/1.1 200 Connection Established\r\n\r\n');
      if (head.length) upstream.write(head);
      upstream.pipe(client);
      client.pipe(upstream);
    });
    sockets.add(upstream);
    upstream.on('close', () => sockets.delete(upstream));
    upstream.on('error', () => client.destroy());
    client.on('close', () => upstream.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, host, resolve));
  const port = (server.address() as AddressInfo).port;
  const auth = opts.user ? `${encodeURIComponent(opts.user)}:${encodeURIComponent(opts.password ?? '')}@` : '';
  proxy.url = `http://${auth}${host}:${port}`;
  proxy.port = port;
  proxy.close = () =>
    new Promise<void>((resolve) => {
      for (const s of sockets) s.destroy();
      server.close(() => resolve());
    });
  return proxy;
}
