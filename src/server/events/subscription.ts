import { formatTimestamp } from '../../shared/time.js';
import type { CompiledFilter, InstanceTags } from './filter.js';
import { slices, type EventHub, type FeedMember, type StreamFeed } from './hub.js';
import {
  firstSeqAtOrAfter,
  readEncoded,
  readEvents,
  streamInfo,
  type EncodedEvent,
  type EventQuery,
  type StreamInfo,
} from './log.js';
import type { Db } from '../store/db.js';

/**
 * Why a reader cannot continue where it asked to: `pruned` — events after its seq are gone
 * (retention); `epoch` — the stream it knew was replaced; `ahead` — it names a seq the stream never
 * reached (a restore, or another server's stream).
 */
export type ResyncReason = 'pruned' | 'epoch' | 'ahead';

export interface ResyncInfo {
  reason: ResyncReason;
  /** The seq the reader asked to continue after. */
  requested: number;
  /** The oldest seq still available: the reader continues from here. */
  first: number;
  head: number;
  epoch: string | null;
}

/** Where a reader wants to start. At most one of `since`, `sinceTime`, `tail` is used, in that order. */
export interface StartRequest {
  /** Continue after this seq. */
  since?: number;
  /** The epoch `since` belongs to; a different current epoch means resync. */
  epoch?: string;
  /** Start at the first event at or after this time (epoch milliseconds). */
  sinceTime?: number;
  /** Start with the last `tail` matching events. */
  tail?: number;
}

export interface StartPoint {
  since: number;
  info: StreamInfo;
  resync?: ResyncInfo;
}

/**
 * Turns a start request into a seq to read after, or an explicit resync (NL-4: a reader whose
 * history is gone is told so and continues from the first event still kept, never from "now").
 * Without any start, readers begin at the head (`'head'`, a live tail) or the oldest event (`'first'`).
 */
export async function resolveStart(
  db: Db,
  workspace: string,
  req: StartRequest,
  match: { filter: CompiledFilter; tags: InstanceTags; batchLimit: number },
  otherwise: 'head' | 'first',
): Promise<StartPoint> {
  const info = await streamInfo(db, workspace);
  const oldest = info.first - 1;
  const resync = (reason: ResyncReason, requested: number): StartPoint => ({
    since: oldest,
    info,
    resync: { reason, requested, first: info.first, head: info.head, epoch: info.epoch },
  });
  if (req.epoch !== undefined && req.epoch !== info.epoch) return resync('epoch', req.since ?? 0);
  if (req.since !== undefined) {
    if (req.since > info.head) return resync('ahead', req.since);
    if (req.since < oldest) return resync('pruned', req.since);
    return { since: req.since, info };
  }
  if (req.sinceTime !== undefined) {
    const seq = await firstSeqAtOrAfter(db, workspace, formatTimestamp(BigInt(Math.floor(req.sinceTime)) * 1000n));
    if (seq === undefined) return { since: info.head, info };
    // Events before `first` were pruned: some may have been newer than the requested time.
    if (seq === info.first && info.first > 1) return resync('pruned', 0);
    return { since: seq - 1, info };
  }
  if (req.tail !== undefined) {
    return { since: req.tail > 0 ? await beforeLast(db, workspace, req.tail, info, match) : info.head, info };
  }
  return { since: otherwise === 'head' ? info.head : oldest, info };
}

/** The seq before the last `count` matching events (scanning at most 50 pages back). */
async function beforeLast(
  db: Db,
  workspace: string,
  count: number,
  info: StreamInfo,
  { filter, tags, batchLimit }: { filter: CompiledFilter; tags: InstanceTags; batchLimit: number },
): Promise<number> {
  const oldest = info.first - 1;
  let upTo = info.head;
  let found = 0;
  for (let page = 0; page < 50 && upTo > oldest; page++) {
    const events = await readEvents(db, workspace, {
      ...filter.query,
      since: oldest,
      upTo,
      limit: batchLimit,
      descending: true,
    });
    if (filter.tags) await tags.prime(events.flatMap((e) => (e.instance ? [e.instance] : [])));
    for (const e of events) if (filter.matches(e, tags) && ++found === count) return e.seq - 1;
    if (events.length < batchLimit) return oldest;
    upTo = events[events.length - 1]!.seq - 1;
  }
  return Math.max(upTo, oldest);
}

type Reader<T> = (db: Db, workspace: string, q: EventQuery) => Promise<T[]>;

/**
 * One page of matching events after `since`, never past `upTo`, and the seq it read through;
 * `read` is {@link readEvents} (objects) or {@link readEncoded} (wire JSON).
 */
export async function readMatching<T extends { seq: number; type: string; instance: string | null }>(
  read: Reader<T>,
  db: Db,
  workspace: string,
  filter: CompiledFilter,
  tags: InstanceTags,
  range: { since: number; upTo: number; limit: number },
): Promise<{ events: T[]; through: number }> {
  const events = await read(db, workspace, { ...filter.query, ...range });
  if (filter.tags) await tags.prime(events.flatMap((e) => (e.instance ? [e.instance] : [])));
  const through = events.length < range.limit ? range.upTo : events[events.length - 1]!.seq;
  return { events: events.filter((e) => filter.matches(e, tags)), through };
}

/** Where a subscription's output goes (a websocket in practice). */
export interface SubscriptionSink {
  events(events: EncodedEvent[], cursor: number, epoch: string | null): void;
  resync(info: ResyncInfo): void;
  /** Resolves when the sink can take more history (flow control while catching up). */
  drained(): Promise<void>;
}

/**
 * A tail: replays the store from its start seq, then joins the stream's feed for live events.
 * It joins only once it has read up to the feed's cursor (checked and joined in one synchronous
 * step), so no event falls between replay and live; seqs at or below its cursor are dropped, so
 * none arrives twice.
 */
export class Subscription implements FeedMember {
  private feed: StreamFeed | undefined;
  private stopped = false;
  private live = false;

  constructor(
    private readonly hub: EventHub,
    readonly workspace: string,
    readonly filter: CompiledFilter,
    /** Everything matching up to here has been handed to the sink. */
    public cursor: number,
    private readonly epoch: string | null,
    private readonly sink: SubscriptionSink,
  ) {}

  get isLive(): boolean {
    return this.live;
  }

  async start(): Promise<void> {
    if (this.stopped) return;
    const feed = (this.feed = this.hub.acquire(this.workspace));
    await feed.ready;
    let generation = feed.generation;
    if (this.epoch !== null && feed.epoch !== this.epoch) this.reset(feed.epoch, feed.cursor);
    const { batchLimit } = this.hub.tunables;
    while (!this.stopped) {
      if (feed.generation !== generation) {
        generation = feed.generation;
        this.reset(feed.epoch, feed.cursor);
      }
      if (this.cursor >= feed.cursor) {
        this.live = true;
        feed.join(this);
        return;
      }
      const page = await readMatching(readEncoded, this.hub.db, this.workspace, this.filter, feed.tags, {
        since: this.cursor,
        upTo: feed.cursor,
        limit: batchLimit,
      });
      if (this.stopped || feed.generation !== generation) continue;
      for (const [run, upTo] of slices(page.events, page.through, this.hub.sliceBytes)) {
        if (this.stopped) return;
        if (run.length) this.sink.events(run, upTo, feed.epoch);
        this.cursor = upTo;
        await this.sink.drained();
      }
    }
  }

  push(events: EncodedEvent[], through: number): void {
    if (this.stopped) return;
    const tags = this.feed!.tags;
    const fresh = events.filter((e) => e.seq > this.cursor && this.filter.matches(e, tags));
    if (through > this.cursor) this.cursor = through;
    if (fresh.length) this.sink.events(fresh, this.cursor, this.feed!.epoch);
  }

  reset(epoch: string | null, head: number): void {
    if (this.stopped) return;
    const requested = this.cursor;
    this.cursor = 0;
    this.sink.resync({ reason: 'epoch', requested, first: 1, head, epoch });
  }

  stop(): void {
    if (this.stopped) return;
    this.stopped = true;
    if (!this.feed) return;
    this.feed.leave(this);
    this.hub.release(this.feed);
  }
}
