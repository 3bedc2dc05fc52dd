import type { Compilable, CompiledQuery } from 'kysely';
import type { Db } from './db.js';

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
