/**
 * The raw SQLite baseline of quality.md B2 (T8, T9): better-sqlite3 single transactions of an
 * event insert + a state upsert (~230 B), on a WAL file with synchronous=NORMAL as the server
 * opens its store. Returns transactions per second.
 */
import { join } from 'node:path';
import Database from 'better-sqlite3';

export function rawEventStateTxPerSecond(dir: string, rows = 20_000): number {
  const db = new Database(join(dir, 'raw-baseline.db'));
  try {
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = NORMAL');
    db.exec('drop table if exists events; drop table if exists state');
    db.exec('create table events (seq integer primary key, instance text not null, data text not null)');
    db.exec('create table state (instance text primary key, state text not null, updated integer not null)');
    const event = db.prepare('insert into events (instance, data) values (?, ?)');
    const state = db.prepare(
      'insert into state (instance, state, updated) values (?, ?, ?) ' +
        'on conflict (instance) do update set state = excluded.state, updated = excluded.updated',
    );
    const data = JSON.stringify({
      id: 'i-abcdef',
      state: 'processing',
      operation: { event: 'deploy' },
      pad: 'x'.repeat(120),
    });
    const one = db.transaction((i: number) => {
      event.run(`i-${i % 1000}`, data);
      state.run(`i-${i % 1000}`, 'processing', Date.now());
    });
    for (let i = 0; i < 1000; i++) one(i);
    const start = performance.now();
    for (let i = 0; i < rows; i++) one(i);
    return rows / ((performance.now() - start) / 1000);
  } finally {
    db.close();
  }
}
