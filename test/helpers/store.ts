import { createHash } from 'node:crypto';
import pg from 'pg';
import { openSqliteStore, type Db } from '../../src/server/store/db.js';
import { openPostgresStore } from '../../src/server/store/postgres.js';
import { dataFiles } from '../../src/shared/paths.js';
import { startTestCluster, type TestCluster } from './postgres-cluster.js';

/**
 * The store engine of this test run: SQLite by default; PostgreSQL when the run was started with
 * EBCLI_TEST_DATABASE=postgres (test/setup/postgres.ts made a throwaway cluster for it).
 */
export const onPostgres = process.env.EBCLI_TEST_DATABASE === 'postgres';

function adminUrl(): string {
  const url = process.env.EBCLI_TEST_PG_URL;
  if (!url) throw new Error('EBCLI_TEST_DATABASE=postgres but no test cluster (test/setup/postgres.ts) is running');
  return url;
}

const withAdmin = async <T>(fn: (c: pg.Client) => Promise<T>): Promise<T> => {
  const client = new pg.Client({ connectionString: adminUrl() });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
};

/** The database name standing for a test's data directory or SQLite file: the same path, the same database. */
const databaseName = (key: string) => `ebcli_${createHash('sha256').update(key).digest('hex').slice(0, 24)}`;

const urlOf = (name: string) => adminUrl().replace('/postgres?', `/${name}?`);

/**
 * On a PostgreSQL run, the URL of the test database standing for `key` (a data directory or a
 * SQLite file path), created empty on first use; a later call with the same key (a restart) gets
 * the same database. Undefined on a SQLite run.
 */
export async function testDatabaseUrl(key: string): Promise<string | undefined> {
  if (!onPostgres) return undefined;
  const name = databaseName(key);
  await withAdmin(async (c) => {
    const exists = await c.query('select 1 from pg_database where datname = $1', [name]);
    if (exists.rowCount === 0) await c.query(`create database ${name}`);
  });
  return urlOf(name);
}

/** Drops the test database standing for `key` (no-op on SQLite, or when it does not exist). */
export async function dropTestDatabase(key: string): Promise<void> {
  if (!onPostgres) return;
  await withAdmin((c) => c.query(`drop database if exists ${databaseName(key)} with (force)`));
}

/**
 * Opens the store a test would open with `openSqliteStore(file)`: that file on SQLite, the
 * database standing for that file on PostgreSQL (reopening after `destroy()` finds the same data).
 */
export async function openTestStore(file: string): Promise<Db> {
  const url = await testDatabaseUrl(file);
  return url ? openPostgresStore(url) : openSqliteStore(file);
}

/**
 * Opens the store of a server started on `dataDir` by the test helpers (startTestServer, the e2e
 * child server): its SQLite file, or on a PostgreSQL run the database standing for that directory.
 */
export async function openServerStore(dataDir: string): Promise<Db> {
  const url = await testDatabaseUrl(dataDir);
  return url ? openPostgresStore(url) : openSqliteStore(dataFiles(dataDir).database);
}

let own: TestCluster | undefined;

/**
 * For tests that need PostgreSQL on every run (server migrate, `--database`): a fresh empty
 * database on the run's cluster, or, on a SQLite run, on a cluster of this test file's own
 * (stop it in afterAll with `stopOwnCluster`).
 */
export async function freshPostgresDatabase(): Promise<string> {
  const admin = process.env.EBCLI_TEST_PG_URL ?? (own ??= startTestCluster()).adminUrl;
  const name = `ebcli_${createHash('sha256').update(`${process.pid}/${Math.random()}`).digest('hex').slice(0, 24)}`;
  const client = new pg.Client({ connectionString: admin });
  await client.connect();
  try {
    await client.query(`create database ${name}`);
  } finally {
    await client.end();
  }
  return admin.replace('/postgres?', `/${name}?`);
}

/** Stops and removes the cluster `freshPostgresDatabase` started for this file, if it did. */
export function stopOwnCluster(): void {
  own?.stop();
  own = undefined;
}

/**
 * The environment a spawned `ebcli server start --data-dir <dataDir>` needs on this run: on
 * PostgreSQL, EBCLI_DATABASE_URL naming the test database standing for that data directory (the
 * same one `startTestServer` would use; drop it with `dropTestDatabase(dataDir)`); nothing on SQLite.
 */
export async function databaseEnv(dataDir: string): Promise<Record<string, string>> {
  const url = await testDatabaseUrl(dataDir);
  return url ? { EBCLI_DATABASE_URL: url } : {};
}
