import { existsSync, readFileSync } from 'node:fs';
import { dataFiles } from './paths.js';

/**
 * What a server running on a data directory writes to `server.json` for the CLI to find it (the
 * embedded default): written by server/start.ts, read by the CLI's daemon manager (cli/daemon.ts).
 */
export interface ServerState {
  pid: number;
  /** The URL on this host (loopback when listening on every address). */
  url: string;
  /** The URL other hosts use (`--public-url`), = `url` when not given. */
  publicUrl: string;
  port: number;
  host: string;
  dataDir: string;
  caFile: string;
  startedAt: string;
}

/** The data directory's `server.json`, if present and readable. */
export function readServerState(dataDir: string): ServerState | undefined {
  const file = dataFiles(dataDir).stateFile;
  if (!existsSync(file)) return undefined;
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as ServerState;
  } catch {
    return undefined;
  }
}
