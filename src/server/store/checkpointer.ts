import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';

/** How often the background connection checkpoints the WAL. */
export const CHECKPOINT_INTERVAL_MS = 200;
/**
 * The store's own connection still checkpoints past this many WAL pages (about 32 MB): a backstop
 * should the background one fall behind or stop.
 */
export const BACKSTOP_AUTOCHECKPOINT_PAGES = 8192;

/**
 * The background checkpointer's code (CommonJS, run with `eval` so it needs no file of its own in
 * dist, under tsx or under vitest): its own connection to the store file, a PASSIVE checkpoint
 * every interval (it never blocks writers and is skipped while one holds the lock), closed on
 * `stop`, which it signals through shared memory. Errors are reported to the parent, which turns the store's own autocheckpoint back on.
 */
const CODE = `
const { parentPort, workerData } = require('node:worker_threads');
const Database = require(workerData.driver);
const db = new Database(workerData.file, { fileMustExist: true });
db.pragma('synchronous = NORMAL');
const timer = setInterval(() => {
  try {
    db.pragma('wal_checkpoint(PASSIVE)');
  } catch (err) {
    parentPort.postMessage({ error: String(err && err.message) });
  }
}, workerData.intervalMs);
parentPort.on('message', (m) => {
  if (m !== 'stop') return;
  clearInterval(timer);
  db.close();
  const closed = new Int32Array(workerData.closed);
  Atomics.store(closed, 0, 1);
  Atomics.notify(closed, 0);
  parentPort.close();
});
`;

export interface Checkpointer {
  /**
   * Closes the background connection and waits (synchronously, at most STOP_WAIT_MS) until it is
   * closed: the store's own close, which calls this, then is the file's last connection, so
   * SQLite checkpoints and removes the -wal and -shm files before `db.destroy()` resolves.
   * Kysely calls the driver's close without awaiting it, hence the synchronous wait.
   */
  stop(): void;
}

const STOP_WAIT_MS = 2000;

/**
 * Moves SQLite WAL checkpoints off the server's thread. With automatic checkpoints, every ~1,000
 * pages one commit copied the WAL into the database file and waited for two fsyncs on the event
 * loop: under load those commits took 10 ms and more, about 1 s of every 3 s of bench/t09 and a
 * fifth of T8's commit time (issue 12). A worker thread with its own connection checkpoints
 * instead, every {@link CHECKPOINT_INTERVAL_MS}; commits keep the same durability (WAL,
 * synchronous=NORMAL: the checkpoint fsyncs exactly as before, only on another thread).
 * `onFailure` runs if the worker cannot work (the caller re-enables automatic checkpoints).
 */
export function startCheckpointer(file: string, onFailure: (why: string) => void): Checkpointer {
  const driver = createRequire(import.meta.url).resolve('better-sqlite3');
  const closed = new SharedArrayBuffer(4);
  const worker = new Worker(CODE, {
    eval: true,
    workerData: { file, driver, intervalMs: CHECKPOINT_INTERVAL_MS, closed },
    // It allocates next to nothing: small heaps keep its share of the server's memory small.
    resourceLimits: { maxYoungGenerationSizeMb: 1, maxOldGenerationSizeMb: 16 },
  });
  worker.unref();
  let stopped = false;
  let failed = false;
  const fail = (why: string) => {
    if (stopped || failed) return;
    failed = true;
    onFailure(why);
  };
  worker.on('message', (m: { error?: string }) => {
    if (m.error) fail(m.error);
  });
  worker.on('error', (err) => fail(err.message));
  worker.on('exit', (code) => fail(`checkpointer exited with ${code}`));
  return {
    stop() {
      if (stopped) return;
      stopped = true;
      if (failed) return;
      worker.postMessage('stop');
      Atomics.wait(new Int32Array(closed), 0, 0, STOP_WAIT_MS);
    },
  };
}
