import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { commandLine, killProcessGroup } from '../../src/server/providers/process-group.js';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Agent, request } from 'undici';
import { startServer, type RunningServer, type StartOptions } from '../../src/server/start.js';
import { dataFiles } from '../../src/shared/paths.js';
import { dropTestDatabase, testDatabaseUrl } from './store.js';

export interface Reply<T = any> {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: T;
  text: string;
}

export interface TestServer {
  server: RunningServer;
  url: string;
  dataDir: string;
  /** The admin token written on first start. */
  token: string;
  dispatcher: Agent;
  call<T = any>(
    method: string,
    path: string,
    opts?: { body?: unknown; raw?: string | Buffer; token?: string | null; headers?: Record<string, string> },
  ): Promise<Reply<T>>;
  restart(): Promise<void>;
  stop(): Promise<void>;
}

/**
 * A real control plane on 127.0.0.1, port 0, with a temporary data directory; on a PostgreSQL test
 * run (test/helpers/store.ts) its store is a database of its own, kept across `restart()`, unless
 * `embedded` keeps the SQLite store in the data directory (tests about that directory's files).
 * `inject`: `call` sends requests in process through fastify's `inject` instead of over TLS, for
 * route tests where no socket is under test (the server still listens, for anything else).
 */
export async function startTestServer(
  existingDataDir?: string,
  {
    embedded,
    inject,
    ...options
  }: Omit<StartOptions, 'dataDir' | 'port'> & { embedded?: boolean; inject?: boolean } = {},
): Promise<TestServer> {
  const dataDir = existingDataDir ?? mkdtempSync(join(tmpdir(), 'ebcli-test-'));
  const database = options.database ?? (embedded ? undefined : await testDatabaseUrl(dataDir));
  let server = await startServer({ ...options, database, dataDir, port: 0 });
  const dispatcher = new Agent({ connect: { ca: server.ca } });
  const token = readFileSync(dataFiles(dataDir).adminToken, 'utf8').trim();
  const t: TestServer = {
    server,
    url: server.url,
    dataDir,
    token,
    dispatcher,
    async call(method, path, opts = {}) {
      const headers: Record<string, string> = { ...opts.headers };
      const tok = opts.token === undefined ? token : opts.token;
      if (tok) headers['elasticbox-token'] = tok;
      let body: string | Buffer | undefined;
      if (opts.raw !== undefined) body = opts.raw;
      else if (opts.body !== undefined) {
        body = JSON.stringify(opts.body);
        headers['content-type'] ??= 'application/json';
      }
      let status: number;
      let replyHeaders: Reply['headers'];
      let text: string;
      if (inject) {
        // In process (fastify's inject: the whole request lifecycle, hooks and serializers, no socket).
        const res = await t.server.app.inject({ method: method as 'GET', url: path, headers, payload: body });
        [status, replyHeaders, text] = [res.statusCode, res.headers as Reply['headers'], res.body];
      } else {
        const res = await request(`${t.url}${path}`, { method: method as 'GET', headers, body, dispatcher });
        [status, replyHeaders, text] = [res.statusCode, res.headers, await res.body.text()];
      }
      let parsed: unknown = text;
      if (String(replyHeaders['content-type'] ?? '').includes('json') && text) parsed = JSON.parse(text);
      return { status, headers: replyHeaders, body: parsed as any, text };
    },
    async restart() {
      await server.close();
      server = await startServer({ ...options, database, dataDir, port: 0 });
      t.server = server;
      t.url = server.url;
    },
    async stop() {
      // The server running now: tests that restart it themselves assign `t.server`.
      await t.server.close();
      if (server !== t.server) await server.close();
      await dispatcher.close();
      // The host agent outlives the server by design; its data directory goes now, so it goes too.
      await stopHostAgent(dataDir);
      rmSync(dataDir, { recursive: true, force: true });
      if (options.database === undefined && !embedded) await dropTestDatabase(dataDir);
    },
  };
  return t;
}

/** Stops the host agent serving a data directory's local machines (every machine ends with it). */
export async function stopHostAgent(dataDir: string): Promise<void> {
  const dir = join(dataDir, 'host-agent');
  let pid: number;
  try {
    pid = Number(readFileSync(join(dir, 'host-agent.pid'), 'utf8').trim());
  } catch {
    return;
  }
  if (commandLine(pid)?.includes(join(dir, 'control.sock'))) await killProcessGroup(pid, 3000);
}
