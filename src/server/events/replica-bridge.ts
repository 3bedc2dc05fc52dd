import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { postgresPool } from '../store/postgres.js';
import type { EventBus } from './log.js';

/** The PostgreSQL channel on which replicas announce commits to event streams. */
export const COMMITTED_CHANNEL = 'ebcli_committed';
/** Commits seen within this window go out as one NOTIFY (one global lock per batch, not per event). */
const BATCH_MS = 5;
const RECONNECT_MS = 1000;
/** PostgreSQL refuses NOTIFY payloads of 8000 bytes or more. */
const MAX_PAYLOAD = 7000;

/**
 * Wakes tails across replicas sharing one PostgreSQL database. Commits announced on this process's
 * bus (`committed(workspace)`) are sent, batched, as one `pg_notify` naming the workspaces; a
 * dedicated connection LISTENs and re-announces other replicas' commits on the local bus, marked
 * as remote so they are not sent back. The event log itself stays the truth: a tail woken reads
 * its stream from its last sequence number, so a lost or merged notification only delays delivery
 * until the next wake-up, and never reorders or drops events.
 */
export class ReplicaBridge {
  private readonly id = randomBytes(6).toString('hex');
  private readonly pending = new Set<string>();
  private timer: NodeJS.Timeout | undefined;
  private listener: pg.Client | undefined;
  private closed = false;
  private readonly pool: pg.Pool;
  private readonly onLocal = (workspace: string, remote?: boolean) => {
    if (remote || this.closed) return;
    this.pending.add(workspace);
    this.timer ??= setTimeout(() => void this.flush(), BATCH_MS);
  };

  constructor(
    private readonly url: string,
    private readonly bus: EventBus,
    private readonly onError: (err: unknown) => void = () => undefined,
  ) {
    this.pool = postgresPool(url, 1);
  }

  async start(): Promise<void> {
    this.bus.on('committed', this.onLocal);
    await this.listen();
  }

  private async listen(): Promise<void> {
    const client = new pg.Client({ connectionString: this.url, application_name: 'ebcli-listen' });
    client.on('notification', (msg) => {
      if (msg.channel !== COMMITTED_CHANNEL || !msg.payload) return;
      const [from, ...workspaces] = JSON.parse(msg.payload) as string[];
      if (from === this.id) return;
      for (const ws of workspaces) this.bus.emit('committed', ws, true);
    });
    const retry = (err?: unknown) => {
      if (err) this.onError(err);
      if (this.listener !== client || this.closed) return;
      this.listener = undefined;
      void client.end().catch(() => undefined);
      setTimeout(() => void this.listen().catch((e) => retry(e)), RECONNECT_MS).unref();
    };
    client.on('error', retry);
    client.on('end', () => retry());
    this.listener = client;
    await client.connect();
    await client.query(`LISTEN ${COMMITTED_CHANNEL}`);
  }

  private async flush(): Promise<void> {
    this.timer = undefined;
    if (!this.pending.size) return;
    const batches: string[][] = [[]];
    let size = this.id.length;
    for (const ws of this.pending) {
      if (size + ws.length + 4 > MAX_PAYLOAD && batches.at(-1)!.length) {
        batches.push([]);
        size = this.id.length;
      }
      batches.at(-1)!.push(ws);
      size += ws.length + 4;
    }
    this.pending.clear();
    for (const batch of batches) {
      try {
        await this.pool.query('select pg_notify($1, $2)', [COMMITTED_CHANNEL, JSON.stringify([this.id, ...batch])]);
      } catch (err) {
        this.onError(err);
      }
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    this.bus.off('committed', this.onLocal);
    clearTimeout(this.timer);
    const client = this.listener;
    this.listener = undefined;
    await client?.end().catch(() => undefined);
    await this.pool.end().catch(() => undefined);
  }
}
