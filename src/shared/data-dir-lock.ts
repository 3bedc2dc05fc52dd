import { closeSync, existsSync, mkdirSync, openSync, readFileSync } from 'node:fs';
import SQLite from 'better-sqlite3';
import { dataFiles } from './paths.js';
import { processAlive } from './process.js';

/** Thrown when another server already holds the data directory's lock. */
export class DataDirLockedError extends Error {
  constructor(
    readonly dataDir: string,
    readonly holderPid?: number,
  ) {
    const who = holderPid === undefined ? 'another ebcli server' : `another ebcli server (pid ${holderPid})`;
    super(`${who} is already using the data directory ${dataDir}; stop it first (ebcli server stop --data-dir ...)`);
    this.name = 'DataDirLockedError';
  }
}

export interface DataDirLock {
  /** Releases the lock (idempotent). The kernel also releases it when the process dies. */
  release(): void;
}

/** The pid in `server.pid`, when it names a live process. */
function recordedPid(dataDir: string): number | undefined {
  try {
    const pid = Number(readFileSync(dataFiles(dataDir).pidFile, 'utf8').trim());
    return processAlive(pid) ? pid : undefined;
  } catch {
    return undefined;
  }
}

const isBusy = (err: unknown) => {
  const code = (err as { code?: string }).code ?? '';
  return code.startsWith('SQLITE_BUSY') || code.startsWith('SQLITE_LOCKED');
};

/**
 * Takes the data directory's exclusive lock: `server.lock`, a small SQLite database held in
 * `locking_mode = EXCLUSIVE` inside an open `BEGIN EXCLUSIVE` transaction for the server's
 * lifetime. SQLite's lock is a POSIX advisory lock held by the open file descriptor, so:
 * the kernel drops it when the process exits for any reason (kill -9 included: no stale lock to
 * guess about, unlike a pid file or an O_EXCL file); a second process, or a second server in the
 * same process, gets SQLITE_BUSY at once; and it needs nothing beyond better-sqlite3, which the
 * store already uses. (proper-lockfile's mkdir lock relies on mtime refreshes and a staleness
 * guess instead.) Throws {@link DataDirLockedError} when the lock is held.
 */
export function lockDataDir(dataDir: string): DataDirLock {
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  const file = dataFiles(dataDir).lockFile;
  if (!existsSync(file)) closeSync(openSync(file, 'a', 0o600));
  const lockDb = new SQLite(file, { timeout: 0 });
  try {
    lockDb.pragma('locking_mode = EXCLUSIVE');
    lockDb.exec('BEGIN EXCLUSIVE');
  } catch (err) {
    lockDb.close();
    if (isBusy(err)) throw new DataDirLockedError(dataDir, recordedPid(dataDir));
    throw err;
  }
  let held = true;
  return {
    release() {
      if (!held) return;
      held = false;
      lockDb.close();
    },
  };
}

/** Whether some process holds the data directory's lock right now (probes by taking it briefly). */
export function dataDirLocked(dataDir: string): boolean {
  if (!existsSync(dataFiles(dataDir).lockFile)) return false;
  try {
    lockDataDir(dataDir).release();
    return false;
  } catch (err) {
    if (err instanceof DataDirLockedError) return true;
    throw err;
  }
}
