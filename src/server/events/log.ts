import { EventEmitter } from 'node:events';
import type { Transaction } from 'kysely';
import { newUuid } from '../../shared/ids.js';
import { timestamp } from '../../shared/time.js';
import type { Db } from '../store/db.js';
import type { Database } from '../store/schema.js';

type Conn = Db | Transaction<Database>;

/** Kinds of events in a workspace stream. */
export type EventType =
  | 'instance.state'
  | 'activity'
  | 'script.start'
  | 'script.output'
  | 'script.finish'
  | 'agent.connect'
  | 'agent.disconnect'
  | 'agent.lost';

export interface NewEvent {
  workspace: string;
  type: EventType;
  instanceId?: string | null;
  operationId?: string | null;
  data: Record<string, unknown>;
}

export interface StoredEvent {
  workspace: string;
  seq: number;
  type: EventType;
  instance: string | null;
  operation: string | null;
  created: string;
  data: Record<string, unknown>;
}

/**
 * Appends events to their workspace streams inside the caller's transaction and returns
 * their sequence numbers. The head row is updated first, so concurrent writers to one stream
 * serialise on it and sequence numbers commit in order with no gap.
 */
export async function appendEvents(trx: Transaction<Database>, events: NewEvent[]): Promise<number[]> {
  const seqs: number[] = [];
  const created = timestamp();
  for (const e of events) {
    const head = await trx
      .updateTable('stream_heads')
      .set((eb) => ({ head: eb('head', '+', 1) }))
      .where('workspace', '=', e.workspace)
      .returning('head')
      .executeTakeFirst();
    let seq = head?.head;
    if (seq === undefined) {
      await trx.insertInto('stream_heads').values({ workspace: e.workspace, head: 1, epoch: newUuid() }).execute();
      seq = 1;
    }
    await trx
      .insertInto('events')
      .values({
        workspace: e.workspace,
        seq,
        type: e.type,
        instance_id: e.instanceId ?? null,
        operation_id: e.operationId ?? null,
        data: JSON.stringify(e.data),
        created,
      })
      .execute();
    seqs.push(seq);
  }
  return seqs;
}

export interface EventQuery {
  since?: number;
  limit?: number;
  instanceIds?: string[];
  types?: string[];
}

export async function readEvents(db: Conn, workspace: string, q: EventQuery = {}): Promise<StoredEvent[]> {
  let query = db
    .selectFrom('events')
    .selectAll()
    .where('workspace', '=', workspace)
    .where('seq', '>', q.since ?? 0);
  if (q.instanceIds?.length) query = query.where('instance_id', 'in', q.instanceIds);
  if (q.types?.length) query = query.where('type', 'in', q.types);
  const rows = await query
    .orderBy('seq')
    .limit(q.limit ?? 1000)
    .execute();
  return rows.map((r) => ({
    workspace: r.workspace,
    seq: r.seq,
    type: r.type as EventType,
    instance: r.instance_id,
    operation: r.operation_id,
    created: r.created,
    data: JSON.parse(r.data) as Record<string, unknown>,
  }));
}

/** The head and epoch of a stream, and the oldest sequence still kept. */
export async function streamInfo(db: Conn, workspace: string) {
  const head = await db.selectFrom('stream_heads').selectAll().where('workspace', '=', workspace).executeTakeFirst();
  const first = await db
    .selectFrom('events')
    .select((eb) => eb.fn.min<number>('seq').as('first'))
    .where('workspace', '=', workspace)
    .executeTakeFirst();
  return { head: head?.head ?? 0, epoch: head?.epoch ?? null, first: first?.first ?? null };
}

/**
 * In-process wake-ups for tails: writers call `committed(workspace)` after their transaction
 * commits, and subscribers re-read the store from their last sequence number.
 */
export class EventBus extends EventEmitter {
  constructor() {
    super();
    this.setMaxListeners(0);
  }
  committed(workspace: string): void {
    this.emit('committed', workspace);
  }
}
