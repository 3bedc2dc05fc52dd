import { EventEmitter } from 'node:events';
import type { Transaction } from 'kysely';
import { newUuid } from '../../shared/ids.js';
import { timestamp } from '../../shared/time.js';
import type { Db } from '../store/db.js';
import type { Database } from '../store/schema.js';
import type { EventOf, EventType } from '../../shared/events.js';

type Conn = Db | Transaction<Database>;

/** Kinds of events and the `data` each carries: one union by `type`, in src/shared/events.ts. */
export type { EventType };

/** An event to append; `data` is typed by `type`. */
export type NewEvent = EventOf<{ workspace: string; instanceId?: string | null; operationId?: string | null }>;

export type StoredEvent = EventOf<{
  workspace: string;
  seq: number;
  instance: string | null;
  operation: string | null;
  /** Server time of the append (CAM timestamp, UTC). */
  created: string;
}>;

/** Rows per INSERT: 7 columns stay far below SQLite's bound-variable limit. */
const INSERT_CHUNK = 500;

/**
 * Appends events to their workspace streams inside the caller's transaction and returns their
 * sequence numbers (in input order). Each stream's head row is updated first, once per call, so
 * concurrent writers to one stream serialise on that row and their sequence numbers commit in
 * order with no gap (on PostgreSQL the row lock holds a later writer until the earlier commits).
 * Callers must call `bus.committed(workspace)` after the transaction commits.
 */
export async function appendEvents(trx: Transaction<Database>, events: NewEvent[]): Promise<number[]> {
  const seqs = new Array<number>(events.length);
  const byWorkspace = new Map<string, number[]>();
  events.forEach((e, i) => {
    const list = byWorkspace.get(e.workspace);
    if (list) list.push(i);
    else byWorkspace.set(e.workspace, [i]);
  });
  for (const [workspace, indexes] of byWorkspace) {
    const last = await advanceHead(trx, workspace, indexes.length);
    indexes.forEach((index, k) => (seqs[index] = last - indexes.length + 1 + k));
  }
  const created = timestamp();
  const rows = events.map((e, i) => ({
    workspace: e.workspace,
    seq: seqs[i]!,
    type: e.type,
    instance_id: e.instanceId ?? null,
    operation_id: e.operationId ?? null,
    data: JSON.stringify(e.data),
    created,
  }));
  for (let i = 0; i < rows.length; i += INSERT_CHUNK) {
    await trx
      .insertInto('events')
      .values(rows.slice(i, i + INSERT_CHUNK))
      .execute();
  }
  return seqs;
}

async function advanceHead(trx: Transaction<Database>, workspace: string, count: number): Promise<number> {
  const bump = () =>
    trx
      .updateTable('stream_heads')
      .set((eb) => ({ head: eb('head', '+', count) }))
      .where('workspace', '=', workspace)
      .returning('head')
      .executeTakeFirst();
  const row = await bump();
  if (row) return row.head;
  // First event of the stream. ON CONFLICT lets two first writers race safely: the loser waits for
  // the winner's row and then bumps it.
  await trx
    .insertInto('stream_heads')
    .values({ workspace, head: 0, epoch: newUuid() })
    .onConflict((oc) => oc.column('workspace').doNothing())
    .execute();
  const again = await bump();
  if (!again) throw new Error(`event stream head for ${workspace} vanished during append`);
  return again.head;
}

export interface EventQuery {
  /** Only events with `seq > since`. */
  since?: number;
  /** Only events with `seq <= upTo` (a head read earlier: never deliver past the committed head). */
  upTo?: number;
  limit?: number;
  instanceIds?: string[];
  types?: string[];
  /** Newest first (for "the last N events"). */
  descending?: boolean;
}

/** An event with its wire JSON (protocol `TailEvent`), encoded once however many tails receive it. */
export interface EncodedEvent {
  seq: number;
  type: string;
  instance: string | null;
  json: string;
}

/** The wire form of an event (the workspace is implied by the request). */
export function wireEvent(e: StoredEvent) {
  const { seq, type, instance, operation, created, data } = e;
  return { seq, type, instance, operation, created, data };
}

function toStored(r: Database['events']): StoredEvent {
  // The writers are typed by the same union, so a stored row's data is its type's payload.
  return {
    workspace: r.workspace,
    seq: r.seq,
    type: r.type as EventType,
    instance: r.instance_id,
    operation: r.operation_id,
    created: r.created,
    data: JSON.parse(r.data) as never,
  } as StoredEvent;
}

function selectEvents(db: Conn, workspace: string, q: EventQuery) {
  let query = db
    .selectFrom('events')
    .selectAll()
    .where('workspace', '=', workspace)
    .where('seq', '>', q.since ?? 0);
  if (q.upTo !== undefined) query = query.where('seq', '<=', q.upTo);
  if (q.instanceIds) query = query.where('instance_id', 'in', q.instanceIds.length ? q.instanceIds : ['']);
  if (q.types?.length) query = query.where('type', 'in', q.types);
  return query.orderBy('seq', q.descending ? 'desc' : 'asc').limit(q.limit ?? 1000);
}

export async function readEvents(db: Conn, workspace: string, q: EventQuery = {}): Promise<StoredEvent[]> {
  return (await selectEvents(db, workspace, q).execute()).map(toStored);
}

/**
 * Like {@link readEvents}, but straight to wire JSON: the stored `data` text is spliced in as it
 * is (it was written by JSON.stringify), so live fan-out never parses and re-serialises payloads.
 */
export async function readEncoded(db: Conn, workspace: string, q: EventQuery = {}): Promise<EncodedEvent[]> {
  const rows = await selectEvents(db, workspace, q).execute();
  return rows.map((r) => ({
    seq: r.seq,
    type: r.type,
    instance: r.instance_id,
    json:
      `{"seq":${r.seq},"type":${JSON.stringify(r.type)},"instance":${JSON.stringify(r.instance_id)},` +
      `"operation":${JSON.stringify(r.operation_id)},"created":${JSON.stringify(r.created)},"data":${r.data}}`,
  }));
}

/** The first seq appended at or after `created` (a CAM timestamp), if any. */
export async function firstSeqAtOrAfter(db: Conn, workspace: string, created: string): Promise<number | undefined> {
  const row = await db
    .selectFrom('events')
    .select((eb) => eb.fn.min<number>('seq').as('seq'))
    .where('workspace', '=', workspace)
    .where('created', '>=', created)
    .executeTakeFirst();
  return row?.seq ?? undefined;
}

export interface StreamInfo {
  /** Last committed seq (0 for a stream with no events yet). */
  head: number;
  /** Identity of the stream: changes only when the stream is reset; null before its first event. */
  epoch: string | null;
  /** Oldest seq still kept; `head + 1` when every event has been pruned. */
  first: number;
}

/** The committed head and epoch of a stream (one indexed row). */
export async function streamHead(db: Conn, workspace: string): Promise<{ head: number; epoch: string | null }> {
  const row = await db
    .selectFrom('stream_heads')
    .select(['head', 'epoch'])
    .where('workspace', '=', workspace)
    .executeTakeFirst();
  return { head: row?.head ?? 0, epoch: row?.epoch ?? null };
}

/** The head and epoch of a stream, and the oldest sequence still kept. */
export async function streamInfo(db: Conn, workspace: string): Promise<StreamInfo> {
  const { head, epoch } = await streamHead(db, workspace);
  const row = await db
    .selectFrom('events')
    .select((eb) => eb.fn.min<number>('seq').as('first'))
    .where('workspace', '=', workspace)
    .executeTakeFirst();
  return { head, epoch, first: row?.first ?? head + 1 };
}

/**
 * Starts a stream over: deletes its events and its head row, so the next append opens a new
 * epoch at seq 1. Tails holding the old epoch are told to resync. (Operator action; restores and
 * tests use it.)
 */
export async function resetStream(db: Db, workspace: string): Promise<void> {
  await db.transaction().execute(async (trx) => {
    await trx.deleteFrom('events').where('workspace', '=', workspace).execute();
    await trx.deleteFrom('stream_heads').where('workspace', '=', workspace).execute();
  });
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
