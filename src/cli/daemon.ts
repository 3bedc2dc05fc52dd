import { spawn } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, readFileSync } from 'node:fs';
import { request } from 'node:https';
import { resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { dataFiles } from '../shared/paths.js';
import { trustOptions } from '../shared/tls-trust.js';
import { processAlive } from '../shared/process.js';
import { dataDirLocked, DataDirLockedError } from '../shared/data-dir-lock.js';
import { readServerState, type ServerState } from '../shared/server-state.js';
import { serverProcessEnv } from '../shared/server-process-env.js';

export interface ServerStatus {
  running: boolean;
  dataDir: string;
  pid?: number;
  url?: string;
  /** The URL other hosts use (`--public-url`; = url when not given). */
  publicUrl?: string;
  caFile?: string;
  /** Why the server is considered not running, when it is not. */
  reason?: string;
}

export class ServerStartError extends Error {
  constructor(
    message: string,
    readonly logTail: string,
  ) {
    super(message);
    this.name = 'ServerStartError';
  }
}

const BIN = fileURLToPath(new URL('../../bin/run.js', import.meta.url));

/** GET /services/health over TLS, trusting only the data directory's CA. */
export function checkHealth(state: Pick<ServerState, 'url' | 'caFile'>, timeoutMs = 2000): Promise<boolean> {
  return new Promise((resolve) => {
    let ca: string;
    try {
      ca = readFileSync(state.caFile, 'utf8');
    } catch {
      resolve(false);
      return;
    }
    const req = request(`${state.url}/services/health`, { ...trustOptions(ca), timeout: timeoutMs }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode === 200));
    });
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolve(false));
    req.end();
  });
}

/** Whether the data directory's server is running and answering health. */
export async function serverStatus(dir: string): Promise<ServerStatus> {
  const dataDir = resolve(dir);
  const files = dataFiles(dataDir);
  const state = readServerState(dataDir);
  if (!state || !existsSync(files.pidFile)) return { running: false, dataDir, reason: 'not started' };
  const pid = Number(readFileSync(files.pidFile, 'utf8').trim());
  if (!processAlive(pid)) return { running: false, dataDir, reason: 'stale pid file' };
  const healthy = await checkHealth(state);
  const base = { dataDir, pid, url: state.url, publicUrl: state.publicUrl ?? state.url, caFile: state.caFile };
  return healthy ? { running: true, ...base } : { running: false, ...base, reason: 'not answering health' };
}

function logTail(file: string, lines = 20): string {
  if (!existsSync(file)) return '';
  return readFileSync(file, 'utf8').split('\n').slice(-lines).join('\n');
}

export interface DetachOptions {
  dataDir: string;
  port?: number;
  /** Address to bind (`--listen`); default 127.0.0.1. */
  host?: string;
  /** `--public-url`. */
  publicUrl?: string;
  /** How long to wait for health before giving up. */
  timeoutMs?: number;
}

/**
 * Starts the server as a detached background process (its output goes to `server.log`) and
 * resolves once it answers health. Returns the running status; `started` is false when a
 * healthy server was already running.
 */
export async function startDetached(opts: DetachOptions): Promise<ServerStatus & { started: boolean }> {
  const dataDir = resolve(opts.dataDir);
  const current = await serverStatus(dataDir);
  if (current.running) return { ...current, started: false };
  // Alive but not healthy (or a foreground server without state files): refuse, touch nothing.
  if (dataDirLocked(dataDir)) throw new DataDirLockedError(dataDir, current.pid);
  const files = dataFiles(dataDir);
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  const log = openSync(files.logFile, 'a', 0o600);
  const args = [BIN, 'server', 'start', '--foreground', '--data-dir', dataDir];
  if (opts.port !== undefined) args.push('--port', String(opts.port));
  if (opts.host !== undefined) args.push('--listen', opts.host.includes(':') ? `[${opts.host}]` : opts.host);
  if (opts.publicUrl !== undefined) args.push('--public-url', opts.publicUrl);
  const child = spawn(process.execPath, args, { detached: true, stdio: ['ignore', log, log], env: serverProcessEnv() });
  closeSync(log);
  let exited: number | null = null;
  child.on('exit', (code) => (exited = code ?? -1));
  child.unref();
  const deadline = Date.now() + (opts.timeoutMs ?? 30_000);
  while (Date.now() < deadline) {
    // Until the server writes its pid file (after it listens) a check reads two files, no more: a
    // short interval costs little and saves up to an interval on every start (T15).
    await sleep(20);
    if (exited !== null) {
      // Another `server start` won the race for the lock: say so rather than "exited".
      if (dataDirLocked(dataDir)) throw new DataDirLockedError(dataDir, (await serverStatus(dataDir)).pid);
      throw new ServerStartError(`the server exited during start (code ${exited})`, logTail(files.logFile));
    }
    const status = await serverStatus(dataDir);
    if (status.running && status.pid === child.pid) return { ...status, started: true };
  }
  throw new ServerStartError('the server did not answer health in time', logTail(files.logFile));
}

/**
 * Stops the background server with SIGTERM, waiting for it to exit; SIGKILL after the grace
 * period. The pid file is signalled only while the data directory's lock is held (a stale file
 * may name a recycled pid), and it is left for the server itself to remove.
 */
export async function stopServer(dataDir: string, graceMs = 15_000): Promise<{ stopped: boolean; pid?: number }> {
  const files = dataFiles(resolve(dataDir));
  if (!existsSync(files.pidFile)) return { stopped: false };
  const pid = Number(readFileSync(files.pidFile, 'utf8').trim());
  if (!processAlive(pid) || !dataDirLocked(resolve(dataDir))) return { stopped: false };
  process.kill(pid, 'SIGTERM');
  const deadline = Date.now() + graceMs;
  while (Date.now() < deadline && processAlive(pid)) await sleep(50);
  if (processAlive(pid)) process.kill(pid, 'SIGKILL');
  return { stopped: true, pid };
}
