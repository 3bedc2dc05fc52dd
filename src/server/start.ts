import { readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { resolve } from 'node:path';
import type { FastifyInstance, FastifyServerOptions } from 'fastify';
import { lockDataDir } from '../shared/data-dir-lock.js';
import { dataFiles } from '../shared/paths.js';
import { readServerState, type ServerState } from '../shared/server-state.js';
import { buildApp } from './app.js';
import { serverConfig } from './config.js';
import type { AuthLimitTunables } from './auth/limits.js';
import type { ListenerTunables } from './http/listener.js';
import { bootstrap } from './bootstrap.js';
import type { ServerContext } from './context.js';
import { EventBus } from './events/log.js';
import type { ReplicaBridge } from './events/replica-bridge.js';
import { joinReplicas } from './workflows/remote-dispatch.js';
import { configureFailpoints } from './failpoints.js';
import { tightenSecretFiles } from './secret-files.js';
import { openStore, type Db } from './store/db.js';
import { ensureTls } from './tls/tls.js';
import { certificateHostsFor, localUrl, resolvePublicUrl } from './http/public-url.js';
import type { Tunables } from './workflows/env.js';

export { readServerState, type ServerState } from '../shared/server-state.js';

export interface StartOptions {
  /** Resolved to an absolute path once, here; everything after uses the absolute one. */
  dataDir: string;
  /**
   * A `postgres://` URL: the store lives in that PostgreSQL database (several servers may share it).
   * Undefined or empty: the embedded SQLite file in the data directory.
   */
  database?: string;
  /** 0 picks a free port. Undefined reuses the last port this data directory used, if free. */
  port?: number;
  host?: string;
  /**
   * URL agents on other hosts and remote CLIs use (`--public-url`); the server certificate names
   * its host. Without a port, the listening port. Default: the local URL.
   */
  publicUrl?: string;
  logger?: FastifyServerOptions['logger'];
  /** Write `server.json` and `server.pid` so the CLI can find this server (the embedded default). */
  writeStateFiles?: boolean;
  /** Workflow engine and agent channel timings (defaults: quality.md A1 tunables, env overrides). */
  tunables?: Partial<Tunables>;
  /** Authentication failure budgets (429 + Retry-After past them). */
  authLimits?: Partial<AuthLimitTunables>;
  /** Listener timeouts and the cap on unauthenticated sockets per address (over EBCLI_* env values). */
  listener?: Partial<ListenerTunables>;
  /** Overrides how local machines' agents are started (tests). */
  agentCommand?: ServerContext['agentCommand'];
}

export interface RunningServer {
  url: string;
  publicUrl: string;
  port: number;
  dataDir: string;
  ca: string;
  app: FastifyInstance;
  db: Db;
  /** Stops accepting connections, finishes in-flight requests and closes the store. */
  close(): Promise<void>;
}

function writeAtomically(file: string, content: string, mode = 0o600): void {
  const tmp = `${file}.tmp-${process.pid}`;
  writeFileSync(tmp, content, { mode });
  renameSync(tmp, file);
}

/** Removes a state file only when it still names this process (another writer's file is left alone). */
function removeOwnStateFile(file: string, isOurs: (content: string) => boolean): void {
  try {
    if (isOurs(readFileSync(file, 'utf8'))) rmSync(file, { force: true });
  } catch {
    // already gone or unreadable: nothing of ours to remove
  }
}

/**
 * Starts the control plane: the data directory's exclusive lock, TLS material, store and
 * migrations, first-start bootstrap, listen. Throws `DataDirLockedError` when another server
 * (in this or another process) uses the data directory.
 */
export async function startServer(opts: StartOptions): Promise<RunningServer> {
  const host = opts.host ?? '127.0.0.1';
  const dataDir = resolve(opts.dataDir);
  // Read and checked once, before anything is touched: a bad EBCLI_* value stops the start.
  const config = serverConfig();
  configureFailpoints();
  const files = dataFiles(dataDir);
  const lock = lockDataDir(dataDir);
  let db: Db | undefined;
  let bridge: ReplicaBridge | undefined;
  try {
    tightenSecretFiles(dataDir);
    const tls = await ensureTls(dataDir, certificateHostsFor(host, opts.publicUrl));
    db = await openStore({ database: opts.database, sqliteFile: files.database });
    await bootstrap(db, dataDir);
    const context: ServerContext = { db, dataDir, bus: new EventBus(), agentCommand: opts.agentCommand, config };
    // Replicas on one PostgreSQL database wake each other's tails (LISTEN/NOTIFY, batched).
    if (opts.database) {
      const { ReplicaBridge } = await import('./events/replica-bridge.js');
      bridge = new ReplicaBridge(opts.database, context.bus);
      await bridge.start();
    }
    const app = await buildApp({
      context,
      https: { key: tls.key, cert: tls.cert },
      logger: opts.logger,
      authLimits: opts.authLimits,
      listener: opts.listener,
    });
    // Scripts reach agents connected to any replica (workflows/remote-dispatch.ts).
    if (bridge) {
      const { env, hub } = app.orchestration;
      joinReplicas(env, hub, bridge, (err) => app.log.error({ err }, 'replica dispatch failed'));
    }
    const remembered = opts.port === undefined ? readServerState(dataDir)?.port : undefined;
    try {
      await app.listen({ port: opts.port ?? remembered ?? 0, host });
    } catch (err) {
      if (remembered === undefined || (err as NodeJS.ErrnoException).code !== 'EADDRINUSE') throw err;
      await app.listen({ port: 0, host });
    }
    const port = (app.server.address() as AddressInfo).port;
    const url = localUrl(host, port);
    const publicUrl = resolvePublicUrl(opts.publicUrl, port) ?? url;
    context.publicUrl = publicUrl;
    context.localUrl = url;
    app.orchestration.configure(opts.tunables);
    await app.orchestration.start();
    if (opts.writeStateFiles) {
      const state: ServerState = {
        pid: process.pid,
        url,
        publicUrl,
        port,
        host,
        dataDir,
        caFile: files.caCert,
        startedAt: new Date().toISOString(),
      };
      writeAtomically(files.stateFile, `${JSON.stringify(state, null, 2)}\n`);
      writeAtomically(files.pidFile, `${process.pid}\n`, 0o644);
    }
    let closed = false;
    const store = db;
    return {
      url,
      publicUrl,
      port,
      dataDir,
      ca: tls.ca,
      app,
      db: store,
      async close() {
        if (closed) return;
        closed = true;
        try {
          await app.orchestration.stop();
          await app.close();
          await bridge?.close();
          await store.destroy();
          if (opts.writeStateFiles) {
            // server.json stays (the next start reuses its port); server.pid goes, if still ours.
            removeOwnStateFile(files.pidFile, (text) => Number(text.trim()) === process.pid);
          }
        } finally {
          lock.release();
        }
      },
    };
  } catch (err) {
    await bridge?.close();
    await db?.destroy();
    lock.release();
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
