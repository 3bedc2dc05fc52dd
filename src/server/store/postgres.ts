import { Kysely, PostgresDialect } from 'kysely';
import pg from 'pg';
import { migrateToLatest } from './migrations.js';
import type { Database } from './schema.js';

/** Connections per server process; a replica never holds more than this many of PostgreSQL's. */
export const DEFAULT_POOL_SIZE = 10;

const INT8_OID = 20;

/**
 * `bigint` columns (epoch milliseconds, sequence numbers, counts) come back as JavaScript numbers,
 * as they do from SQLite: every value the store keeps stays below 2^53. The parser is per pool, so
 * nothing else in the process that uses `pg` is affected.
 */
const types = {
  getTypeParser(oid: number, format?: 'text' | 'binary') {
    if (oid === INT8_OID && format !== 'binary') return (value: string) => Number(value);
    return pg.types.getTypeParser(oid, format);
  },
} as pg.CustomTypesConfig;

export { isPostgresUrl } from './postgres-url.js';

export interface PostgresStoreOptions {
  /** Most connections the pool opens (default DEFAULT_POOL_SIZE). */
  poolSize?: number;
  /** Skip migrations (a copy target that is migrated separately, tests of migrations). */
  migrate?: boolean;
}

/** A bounded `pg` pool for `url`; errors of idle connections (a restarted server) are dropped with the connection. */
export function postgresPool(url: string, poolSize = DEFAULT_POOL_SIZE): pg.Pool {
  const pool = new pg.Pool({
    connectionString: url,
    max: poolSize,
    types,
    idleTimeoutMillis: 30_000,
    connectionTimeoutMillis: 10_000,
    application_name: 'ebcli',
    // Idle connections alone do not keep a process alive (a command, a test worker): a server has its listener.
    allowExitOnIdle: true,
  });
  // An idle client whose backend went away emits 'error'; the pool discards it and opens a new one.
  pool.on('error', () => {});
  // So may a client in use (a terminated backend, a restarted server: EPIPE, ECONNRESET): the
  // query in flight fails with that error and the pool drops the client; without a listener the
  // event would crash the process.
  pool.on('connect', (client) => client.on('error', () => {}));
  return pool;
}

/** Opens the control plane's store on PostgreSQL and brings its schema to the latest migration. */
export async function openPostgresStore(url: string, opts: PostgresStoreOptions = {}): Promise<Kysely<Database>> {
  const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool: postgresPool(url, opts.poolSize) }) });
  try {
    if (opts.migrate !== false) await migrateToLatest(db as Kysely<unknown>);
  } catch (err) {
    await db.destroy();
    throw err;
  }
  return db;
}
