import { chmodSync, closeSync, existsSync, mkdirSync, openSync } from 'node:fs';
import { dirname } from 'node:path';
import SQLite from 'better-sqlite3';
import { Kysely, SqliteDialect, type SqliteDatabase } from 'kysely';
import { BACKSTOP_AUTOCHECKPOINT_PAGES, startCheckpointer, type Checkpointer } from './checkpointer.js';
import { migrateToLatest } from './migrations.js';
import { isPostgresUrl } from './postgres-url.js';
import type { Database } from './schema.js';

export type Db = Kysely<Database>;

/** Compiled statements kept per store; a query with a new shape beyond this evicts the oldest. */
const STATEMENT_CACHE = 512;

/**
 * Kysely's SQLite driver prepares every query it runs, and better-sqlite3 compiles the SQL on
 * every `prepare` (about a third of a durable workflow step's CPU, measured with bench/t09). The
 * queries are built from a few hundred shapes, so their compiled statements are kept, least
 * recently used first out. Kysely runs one query at a time per connection and never streams here,
 * so a cached statement is never busy when it is handed out again.
 */
function withStatementCache(sqlite: SQLite.Database, onClose: () => void, max = STATEMENT_CACHE): SqliteDatabase {
  const cache = new Map<string, SQLite.Statement>();
  return {
    close: () => {
      onClose();
      sqlite.close();
    },
    prepare(sql) {
      let stmt = cache.get(sql);
      if (stmt) cache.delete(sql);
      else stmt = sqlite.prepare(sql);
      cache.set(sql, stmt);
      if (cache.size > max) cache.delete(cache.keys().next().value!);
      return stmt;
    },
  };
}

/**
 * Opens the SQLite store in WAL mode and brings its schema to the latest migration. The file is
 * created 0600 before SQLite opens it (and an existing one is brought to 0600): SQLite gives
 * its `-wal`, `-shm` and journal files the database file's mode, so they are 0600 too.
 */
export async function openSqliteStore(file: string): Promise<Db> {
  mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
  if (!existsSync(file)) closeSync(openSync(file, 'a', 0o600));
  chmodSync(file, 0o600);
  const sqlite = new SQLite(file);
  sqlite.pragma('journal_mode = WAL');
  sqlite.pragma('synchronous = NORMAL');
  sqlite.pragma('foreign_keys = ON');
  sqlite.pragma('busy_timeout = 5000');
  // WAL checkpoints run on a thread of their own (checkpointer.ts), started once the schema is
  // current; this connection only steps in past the backstop, or again at the default if that
  // thread fails.
  sqlite.pragma(`wal_autocheckpoint = ${BACKSTOP_AUTOCHECKPOINT_PAGES}`);
  const background: { checkpointer?: Checkpointer } = {};
  const db = new Kysely<Database>({
    dialect: new SqliteDialect({ database: withStatementCache(sqlite, () => background.checkpointer?.stop()) }),
  });
  await migrateToLatest(db as Kysely<unknown>);
  background.checkpointer = startCheckpointer(file, () => {
    if (sqlite.open) sqlite.pragma('wal_autocheckpoint = 1000');
  });
  return db;
}

/**
 * Opens the control plane's store: PostgreSQL when `database` is a `postgres://` URL, else the
 * embedded SQLite file. Both run the same Kysely code and the same migrations.
 */
export async function openStore(opts: { database?: string; sqliteFile: string }): Promise<Db> {
  if (opts.database !== undefined && opts.database !== '') {
    if (!isPostgresUrl(opts.database)) throw new Error('the database must be a postgres:// or postgresql:// URL');
    // `pg` and the PostgreSQL dialect load only here: an embedded server never pays for them (T15).
    const { openPostgresStore } = await import('./postgres.js');
    return openPostgresStore(opts.database);
  }
  return openSqliteStore(opts.sqliteFile);
}
