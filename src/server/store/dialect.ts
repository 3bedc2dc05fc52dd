import { type ColumnDataType, type ColumnDefinitionBuilder, type Kysely, PostgresAdapter } from 'kysely';

/** True when `db` (a store or a transaction) runs on PostgreSQL rather than the embedded SQLite. */
export function isPostgres(db: Kysely<any>): boolean {
  return db.getExecutor().adapter instanceof PostgresAdapter;
}

/**
 * Column types that mean the same on both engines. Migrations use these instead of naming a
 * type that only one engine has; on SQLite every one of them produces exactly the SQL the
 * migrations produced before PostgreSQL was supported, so existing embedded stores and new ones
 * have one schema.
 *
 * - `int64`: epoch milliseconds, sequence numbers, byte counts (`integer` is 64-bit on SQLite,
 *   32-bit on PostgreSQL). The PostgreSQL pool parses `bigint` back to a JavaScript number.
 * - `bytes`: binary data (`blob` / `bytea`), read back as a Buffer on both.
 * - `autoId`: an ascending surrogate key (`integer primary key autoincrement` / an identity column).
 */
export interface PortableTypes {
  int64: ColumnDataType;
  bytes: ColumnDataType;
  autoId: ColumnDataType;
  autoIdColumn: (c: ColumnDefinitionBuilder) => ColumnDefinitionBuilder;
}

export function portableTypes(db: Kysely<any>): PortableTypes {
  if (isPostgres(db)) {
    return {
      int64: 'bigint',
      bytes: 'bytea',
      autoId: 'bigint',
      autoIdColumn: (c) => c.primaryKey().generatedByDefaultAsIdentity(),
    };
  }
  return {
    int64: 'integer',
    bytes: 'blob',
    autoId: 'integer',
    autoIdColumn: (c) => c.primaryKey().autoIncrement(),
  };
}
