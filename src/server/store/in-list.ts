/** Most values bound in one `in (…)` list. */
export const IN_LIST_MAX = 512;

/**
 * `values` cut into lists of at most {@link IN_LIST_MAX}, each padded to a power of two by
 * repeating its last value (a value twice in `in (…)` matches the same rows once). A query whose
 * `in` list takes every length from 1 to 500 is 500 SQL texts, each compiled and kept by the
 * statement cache (store/db.ts) with a program as long as its list: heartbeat batches of a
 * 10,000-agent fleet filled it with them, tens of MiB of native memory and every other query's
 * statement pushed out (T4, issue 12). Padded, such a query has ten texts.
 */
export function inLists<T>(values: readonly T[]): T[][] {
  const lists: T[][] = [];
  for (let i = 0; i < values.length; i += IN_LIST_MAX) {
    const list = values.slice(i, i + IN_LIST_MAX);
    let size = 1;
    while (size < list.length) size *= 2;
    while (list.length < size) list.push(list[list.length - 1]!);
    lists.push(list);
  }
  return lists;
}
