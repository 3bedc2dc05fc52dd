import { chmodSync, existsSync, mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { dataFiles } from '../shared/paths.js';

/** Owner-only modes for the server's own secrets (quality.md A6: modes set explicitly, never left to the umask). */
export const SECRET_FILE_MODE = 0o600;
export const SECRET_DIR_MODE = 0o700;

/**
 * Writes a secret atomically: a fresh temporary file created 0600 (whatever the umask), renamed
 * over the target, so a file that existed with looser bits never keeps them. The parent is
 * created 0700 when missing.
 */
export function writeSecretFile(file: string, content: string): void {
  mkdirSync(dirname(file), { recursive: true, mode: SECRET_DIR_MODE });
  const tmp = `${file}.tmp-${process.pid}`;
  writeFileSync(tmp, content, { mode: SECRET_FILE_MODE });
  chmodSync(tmp, SECRET_FILE_MODE);
  renameSync(tmp, file);
}

/** Every file of the server's own holding secrets (machine folders are the local provider's business). */
export function serverSecretFiles(dataDir: string): string[] {
  const f = dataFiles(dataDir);
  return [
    f.database,
    `${f.database}-wal`,
    `${f.database}-shm`,
    `${f.database}-journal`,
    f.adminToken,
    f.adminPassword,
    f.caKey,
    f.serverKey,
    f.stateFile,
    f.logFile,
    f.lockFile,
  ];
}

/**
 * Brings existing secret files (a data directory created by an older release, or copied with
 * loose modes) to 0600 and the `tls` folder to 0700. Files that do not exist yet are created
 * 0600 by their writers.
 */
export function tightenSecretFiles(dataDir: string): void {
  const tlsDir = dirname(dataFiles(dataDir).caKey);
  if (existsSync(tlsDir)) chmodSync(tlsDir, SECRET_DIR_MODE);
  for (const file of serverSecretFiles(dataDir)) if (existsSync(file)) chmodSync(file, SECRET_FILE_MODE);
}
