import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { WatcherResult } from '../shared/monitoring/watcher-protocol.js';

/** What enrollment gave this Watcher (identity.json, 0600) next to its private key (key.pem, 0600). */
export interface Identity {
  machine: string;
  username: string;
  password: string;
  /** The server's public signing key (base64 SPKI). */
  serverKey: string;
}

/** Counters that must survive restarts: seq numbers both ways and the NL-6 ledger. */
export interface Counters {
  /** Last seq this Watcher used. */
  seq: number;
  /** Last seq accepted from the server. */
  serverSeq: number;
  emitted: number;
  dropped: number;
}

function writeAtomic(file: string, text: string): void {
  const tmp = `${file}.tmp`;
  writeFileSync(tmp, text, { mode: 0o600 });
  renameSync(tmp, file);
}

/** The Watcher's state folder. */
export class StateDir {
  constructor(readonly dir: string) {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
  }

  private file(name: string) {
    return join(this.dir, name);
  }

  readIdentity(): { identity: Identity; privateKey: string } | undefined {
    if (!existsSync(this.file('identity.json')) || !existsSync(this.file('key.pem'))) return undefined;
    return {
      identity: JSON.parse(readFileSync(this.file('identity.json'), 'utf8')) as Identity,
      privateKey: readFileSync(this.file('key.pem'), 'utf8'),
    };
  }

  writeIdentity(identity: Identity, privateKey: string): void {
    writeAtomic(this.file('key.pem'), privateKey);
    writeAtomic(this.file('identity.json'), JSON.stringify(identity));
  }

  readCounters(): Counters {
    if (!existsSync(this.file('counters.json'))) return { seq: 0, serverSeq: 0, emitted: 0, dropped: 0 };
    return JSON.parse(readFileSync(this.file('counters.json'), 'utf8')) as Counters;
  }

  writeCounters(c: Counters): void {
    writeAtomic(this.file('counters.json'), JSON.stringify(c));
  }

  readSpool(): WatcherResult[] {
    if (!existsSync(this.file('spool.json'))) return [];
    return JSON.parse(readFileSync(this.file('spool.json'), 'utf8')) as WatcherResult[];
  }

  writeSpool(items: WatcherResult[]): void {
    writeAtomic(this.file('spool.json'), JSON.stringify(items));
  }
}
