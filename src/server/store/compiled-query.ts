import type { Compilable, CompiledQuery, Kysely, QueryResult } from 'kysely';
import type { Db } from './db.js';
import { isPostgres } from './dialect.js';
import type { Database } from './schema.js';

/**
 * A query built and compiled once per store, then run with new parameter values. Kysely builds
 * and compiles a query's SQL anew on every call: for the token lookup of every authenticated
 * request that was most of authentication's CPU (T14 profile, issue 12), while only the values
 * change. The store's statement cache (db.ts) then finds the prepared statement by its SQL.
 *
 * `build` is given placeholder values and must use each parameter exactly once, in the order
 * `run` passes them (checked when the query is first compiled).
 */
export function compiledOnce<R, P extends unknown[]>(
  build: (db: Db, ...placeholders: P) => Compilable<R>,
  placeholders: P,
): (db: Db, ...values: P) => Promise<R[]> {
  const compiled = new WeakMap<Db, CompiledQuery<R>>();
  return async (db, ...values) => {
    let query = compiled.get(db);
    if (!query) {
      query = build(db, ...placeholders).compile();
      if (query.parameters.length !== placeholders.length || query.parameters.some((p, i) => p !== placeholders[i])) {
        throw new Error(`a compiled query must take its ${placeholders.length} parameters in order: ${query.sql}`);
      }
      compiled.set(db, query);
    }
    return (await db.executeQuery<R>({ ...query, parameters: values })).rows;
  };
}

/**
 * {@link compiledOnce} for statements that also run inside transactions (each a Kysely of its
 * own, so a cache keyed by it would never hit): compiled once per SQL dialect, run on the
 * connection of the store or transaction given, answering the whole result (rows and
 * `numAffectedRows`). For the workflow engine's per-step statements (bench/t09).
 */
export function compiledPerDialect<P extends unknown[]>(
  build: (db: Kysely<Database>, ...placeholders: P) => Compilable<unknown>,
  placeholders: P,
): (db: Kysely<Database>, ...values: P) => Promise<QueryResult<unknown>> {
  const compiled = new Map<boolean, CompiledQuery<unknown>>();
  return (db, ...values) => {
    const pg = isPostgres(db);
    let query = compiled.get(pg);
    if (!query) {
      query = build(db, ...placeholders).compile();
      if (query.parameters.length !== placeholders.length || query.parameters.some((p, i) => p !== placeholders[i])) {
        throw new Error(`a compiled query must take its ${placeholders.length} parameters in order: ${query.sql}`);
      }
      compiled.set(pg, query);
    }
    return db.executeQuery({ ...query, parameters: values });
  };
}
