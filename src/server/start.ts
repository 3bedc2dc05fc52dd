import { existsSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import type { FastifyInstance, FastifyServerOptions } from 'fastify';
import { dataFiles } from '../shared/paths.js';
import { buildApp } from './app.js';
import { bootstrap } from './bootstrap.js';
import type { ServerContext } from './context.js';
import { EventBus } from './events/log.js';
import { configureFailpoints } from './failpoints.js';
import { openSqliteStore, type Db } from './store/db.js';
import { ensureTls } from './tls.js';
import type { Tunables } from './workflows/env.js';

export interface StartOptions {
  dataDir: string;
  /** 0 picks a free port. Undefined reuses the last port this data directory used, if free. */
  port?: number;
  host?: string;
  logger?: FastifyServerOptions['logger'];
  /** Write `server.json` and `server.pid` so the CLI can find this server (the embedded default). */
  writeStateFiles?: boolean;
  /** Workflow engine and agent channel timings (defaults: quality.md A1 tunables, env overrides). */
  tunables?: Partial<Tunables>;
  /** Overrides how local machines' agents are started (tests). */
  agentCommand?: ServerContext['agentCommand'];
}

export interface ServerState {
  pid: number;
  url: string;
  port: number;
  host: string;
  dataDir: string;
  caFile: string;
  startedAt: string;
}

export interface RunningServer {
  url: string;
  port: number;
  dataDir: string;
  ca: string;
  app: FastifyInstance;
  db: Db;
  /** Stops accepting connections, finishes in-flight requests and closes the store. */
  close(): Promise<void>;
}

export function readServerState(dataDir: string): ServerState | undefined {
  const file = dataFiles(dataDir).stateFile;
  if (!existsSync(file)) return undefined;
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as ServerState;
  } catch {
    return undefined;
  }
}

function writeAtomically(file: string, content: string, mode = 0o600): void {
  const tmp = `${file}.tmp-${process.pid}`;
  writeFileSync(tmp, content, { mode });
  renameSync(tmp, file);
}

/** Starts the control plane: TLS material, store and migrations, first-start bootstrap, listen. */
export async function startServer(opts: StartOptions): Promise<RunningServer> {
  const host = opts.host ?? '127.0.0.1';
  configureFailpoints();
  const files = dataFiles(opts.dataDir);
  const tls = await ensureTls(opts.dataDir);
  const db = await openSqliteStore(files.database);
  try {
    await bootstrap(db, opts.dataDir);
    const context: ServerContext = { db, dataDir: opts.dataDir, bus: new EventBus(), agentCommand: opts.agentCommand };
    const app = await buildApp({ context, https: { key: tls.key, cert: tls.cert }, logger: opts.logger });
    const remembered = opts.port === undefined ? readServerState(opts.dataDir)?.port : undefined;
    try {
      await app.listen({ port: opts.port ?? remembered ?? 0, host });
    } catch (err) {
      if (remembered === undefined || (err as NodeJS.ErrnoException).code !== 'EADDRINUSE') throw err;
      await app.listen({ port: 0, host });
    }
    const port = (app.server.address() as AddressInfo).port;
    const url = `https://${host.includes(':') ? `[${host}]` : host}:${port}`;
    context.publicUrl = url;
    app.orchestration.configure(opts.tunables);
    await app.orchestration.start();
    if (opts.writeStateFiles) {
      const state: ServerState = {
        pid: process.pid,
        url,
        port,
        host,
        dataDir: opts.dataDir,
        caFile: files.caCert,
        startedAt: new Date().toISOString(),
      };
      writeAtomically(files.stateFile, `${JSON.stringify(state, null, 2)}\n`);
      writeAtomically(files.pidFile, `${process.pid}\n`, 0o644);
    }
    let closed = false;
    return {
      url,
      port,
      dataDir: opts.dataDir,
      ca: tls.ca,
      app,
      db,
      async close() {
        if (closed) return;
        closed = true;
        await app.orchestration.stop();
        await app.close();
        await db.destroy();
        if (opts.writeStateFiles) rmSync(files.pidFile, { force: true });
      },
    };
  } catch (err) {
    await db.destroy();
    throw err;
  }
}

/** Resolves with the signal's name on the first SIGTERM or SIGINT. */
export function waitForShutdownSignal(): Promise<NodeJS.Signals> {
  return new Promise((resolve) => {
    const on = (signal: NodeJS.Signals) => {
      process.off('SIGTERM', on);
      process.off('SIGINT', on);
      resolve(signal);
    };
    process.on('SIGTERM', on);
    process.on('SIGINT', on);
  });
}
