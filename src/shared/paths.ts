import { homedir } from 'node:os';
import { join, resolve, sep } from 'node:path';

/** The embedded control plane's data directory: `$XDG_DATA_HOME/ebcli`, else `~/.local/share/ebcli`. */
export function defaultDataDir(env: NodeJS.ProcessEnv = process.env): string {
  const xdg = env.XDG_DATA_HOME;
  if (xdg && xdg.startsWith('/')) return join(xdg, 'ebcli');
  return join(env.HOME || homedir(), '.local', 'share', 'ebcli');
}

/** Files the embedded server keeps in its data directory. */
export function dataFiles(dataDir: string) {
  return {
    database: join(dataDir, 'ebcli.db'),
    caCert: join(dataDir, 'tls', 'ca.pem'),
    caKey: join(dataDir, 'tls', 'ca-key.pem'),
    serverCert: join(dataDir, 'tls', 'server.pem'),
    serverKey: join(dataDir, 'tls', 'server-key.pem'),
    adminToken: join(dataDir, 'admin-token'),
    adminPassword: join(dataDir, 'admin-password'),
    pidFile: join(dataDir, 'server.pid'),
    stateFile: join(dataDir, 'server.json'),
    logFile: join(dataDir, 'server.log'),
    lockFile: join(dataDir, 'server.lock'),
    machines: join(dataDir, 'machines'),
  };
}

/**
 * Resolves `relative` under `root` and refuses anything that escapes it
 * (`..`, absolute paths, NUL bytes). Returns the absolute path.
 */
export function resolveInside(root: string, relative: string): string {
  if (relative.includes('\0')) throw new Error('path contains a NUL byte');
  const base = resolve(root);
  const full = resolve(base, relative);
  if (full !== base && !full.startsWith(base + sep)) throw new Error(`path escapes its folder: ${relative}`);
  return full;
}
