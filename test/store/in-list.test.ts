import { describe, expect, it } from 'vitest';
import { IN_LIST_MAX, inLists } from '../../src/server/store/in-list.js';

// `in (…)` lists of variable length compile to a handful of SQL texts (T4, issue 12: heartbeat
// batches of every length filled the statement cache with one compiled statement per length).
describe('inLists', () => {
  const range = (n: number) => Array.from({ length: n }, (_, i) => `m${i}`);

  it('covers every value, in order, in lists of at most IN_LIST_MAX padded with their last value', () => {
    expect(inLists([])).toEqual([]);
    expect(inLists(['a'])).toEqual([['a']]);
    expect(inLists(['a', 'b', 'c'])).toEqual([['a', 'b', 'c', 'c']]);
    const values = range(IN_LIST_MAX + 5);
    const lists = inLists(values);
    expect(lists.map((l) => l.length)).toEqual([IN_LIST_MAX, 8]);
    expect(lists[1]).toEqual([...values.slice(IN_LIST_MAX), ...Array<string>(3).fill(values.at(-1)!)]);
    expect([...new Set(lists.flat())]).toEqual(values);
  });

  it('gives lists of ten lengths at most, whatever the number of values', () => {
    const lengths = new Set<number>();
    for (let n = 1; n <= 3 * IN_LIST_MAX; n++) for (const l of inLists(range(n))) lengths.add(l.length);
    expect([...lengths].sort((a, b) => a - b)).toEqual([1, 2, 4, 8, 16, 32, 64, 128, 256, 512]);
  });
});
