import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { postgresPool } from '../store/postgres.js';
import type { ReplicaPeers, ReplicaTopic } from '../workflows/env.js';
import type { EventBus } from './log.js';

/** What replicas announce to each other, and the PostgreSQL channel of each. */
type Topic = 'committed' | ReplicaTopic;
const CHANNELS: Record<Topic, string> = {
  // commits to workspaces' event streams: wakes tails
  committed: 'ebcli_committed',
  // machines whose pending scripts a replica waits for: the one holding the agent sends them
  dispatch: 'ebcli_dispatch',
  // executions whose result was stored: wakes the replica waiting for it
  result: 'ebcli_result',
  // cancel, cleanup or close for an agent connected to another replica
  control: 'ebcli_agent_control',
};
/** Announcements within this window go out as one NOTIFY per topic (one global lock per batch). */
const BATCH_MS = 5;
const RECONNECT_MS = 1000;
/** PostgreSQL refuses NOTIFY payloads of 8000 bytes or more. */
const MAX_PAYLOAD = 7000;

/**
 * The replicas sharing one PostgreSQL database talk through LISTEN/NOTIFY. Commits announced on
 * this process's bus (`committed(workspace)`) are sent, batched, as one `pg_notify` naming the
 * workspaces, and re-announced on the other replicas' buses, marked as remote so they are not sent
 * back; the same goes for script dispatch requests and stored results (workflows/remote-dispatch.ts).
 * A dedicated connection LISTENs. The store itself stays the truth: a tail woken reads its stream
 * from its last sequence number, and a waiting workflow also polls its execution, so a lost or
 * merged notification only delays, and never reorders or drops anything.
 */
export class ReplicaBridge implements ReplicaPeers {
  private readonly id = randomBytes(6).toString('hex');
  private readonly pending = new Map<Topic, Set<string>>();
  private readonly handlers = new Map<Topic, (item: string) => void>();
  private timer: NodeJS.Timeout | undefined;
  private listener: pg.Client | undefined;
  private closed = false;
  private readonly pool: pg.Pool;
  private readonly onLocal = (workspace: string, remote?: boolean) => {
    if (!remote) this.queue('committed', workspace);
  };

  constructor(
    private readonly url: string,
    private readonly bus: EventBus,
    private readonly onError: (err: unknown) => void = () => undefined,
  ) {
    this.pool = postgresPool(url, 1);
    this.handlers.set('committed', (ws) => this.bus.emit('committed', ws, true));
  }

  async start(): Promise<void> {
    this.bus.on('committed', this.onLocal);
    await this.listen();
  }

  announce(topic: ReplicaTopic, item: string): void {
    this.queue(topic, item);
  }

  onAnnounce(topic: ReplicaTopic, handler: (item: string) => void): void {
    this.handlers.set(topic, handler);
  }

  private queue(topic: Topic, item: string): void {
    if (this.closed) return;
    let set = this.pending.get(topic);
    if (!set) this.pending.set(topic, (set = new Set()));
    set.add(item);
    this.timer ??= setTimeout(() => void this.flush(), BATCH_MS);
  }

  private async listen(): Promise<void> {
    const client = new pg.Client({ connectionString: this.url, application_name: 'ebcli-listen' });
    const topics = new Map(Object.entries(CHANNELS).map(([topic, channel]) => [channel, topic as Topic]));
    client.on('notification', (msg) => {
      const topic = topics.get(msg.channel);
      if (!topic || !msg.payload) return;
      const [from, ...items] = JSON.parse(msg.payload) as string[];
      if (from === this.id) return;
      const handler = this.handlers.get(topic);
      for (const item of items) handler?.(item);
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
    for (const channel of Object.values(CHANNELS)) await client.query(`LISTEN ${channel}`);
  }

  private async flush(): Promise<void> {
    this.timer = undefined;
    for (const [topic, items] of this.pending) {
      if (!items.size) continue;
      const batches: string[][] = [[]];
      let size = this.id.length;
      for (const item of items) {
        if (size + item.length + 4 > MAX_PAYLOAD && batches.at(-1)!.length) {
          batches.push([]);
          size = this.id.length;
        }
        batches.at(-1)!.push(item);
        size += item.length + 4;
      }
      items.clear();
      for (const batch of batches) {
        try {
          await this.pool.query('select pg_notify($1, $2)', [CHANNELS[topic], JSON.stringify([this.id, ...batch])]);
        } catch (err) {
          this.onError(err);
          // PostgreSQL restarting or the connection terminated: send again once it is back. Not
          // every topic is backed by a store poll (a control message to another replica's agent
          // is not), so a dropped batch could be lost for good. Repeats are harmless.
          this.requeue(topic, batch);
        }
      }
    }
  }

  private requeue(topic: Topic, items: string[]): void {
    if (this.closed) return;
    let set = this.pending.get(topic);
    if (!set) this.pending.set(topic, (set = new Set()));
    for (const item of items) set.add(item);
    this.timer ??= setTimeout(() => void this.flush(), RECONNECT_MS);
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
