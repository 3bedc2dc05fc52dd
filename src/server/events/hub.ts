import type { Db } from '../store/db.js';
import type { EventTunables } from './config.js';
import { CompiledFilter, InstanceTags } from './filter.js';
import { readEncoded, streamHead, type EncodedEvent, type EventBus } from './log.js';
import { MembershipWatch } from './membership-watch.js';
import { CredentialWatch } from './revocation.js';

/**
 * Splits a batch into runs of at most `maxBytes` of JSON (at least one event each), with the seq
 * each run is complete through: a burst of long lines goes out as several frames, with room for
 * sockets to flush in between, instead of one frame that alone could pass a tail's buffer cap.
 */
export function slices(batch: EncodedEvent[], through: number, maxBytes: number): [EncodedEvent[], number][] {
  const out: [EncodedEvent[], number][] = [];
  let run: EncodedEvent[] = [];
  let bytes = 0;
  for (const item of batch) {
    if (run.length > 0 && bytes + item.json.length > maxBytes) {
      out.push([run, run[run.length - 1]!.seq]);
      run = [];
      bytes = 0;
    }
    run.push(item);
    bytes += item.json.length;
  }
  out.push([run, through]);
  return out;
}

/** A live member of a feed. */
export interface FeedMember {
  readonly filter: CompiledFilter;
  /** Events after the member's cursor that may match (already narrowed by instance), in seq order. */
  push(events: EncodedEvent[], through: number): void;
  /** The stream was reset under the member: a new epoch starting at seq 1. */
  reset(epoch: string | null, head: number): void;
}

/**
 * One workspace stream as seen by this process: a single reader that follows the committed head
 * and fans each batch out to every live member, so a thousand tails cost one query per wake-up.
 * Members join only once they have read the store up to the feed's cursor (see Subscription).
 */
export class StreamFeed {
  /** Every event up to here has been handed to the live members. */
  cursor = 0;
  epoch: string | null = null;
  /** Bumped by every reset; a joining member checks it has not missed one. */
  generation = 0;
  readonly tags: InstanceTags;
  readonly ready: Promise<void>;
  private readonly live = new Set<FeedMember>();
  private readonly anyInstance = new Set<FeedMember>();
  private readonly byInstance = new Set<FeedMember>();
  /** Instance ids some member filters on, with how many members want each. */
  private readonly wanted = new Map<string, number>();
  private tagMembers = 0;
  private reading = false;
  private again = false;
  private poll: NodeJS.Timeout | undefined;
  refs = 0;

  constructor(
    private readonly hub: EventHub,
    readonly workspace: string,
  ) {
    this.tags = new InstanceTags(hub.db);
    this.ready = streamHead(hub.db, workspace).then((h) => {
      this.cursor = h.head;
      this.epoch = h.epoch;
    });
    this.poll = setInterval(() => this.live.size && this.wake(), hub.tunables.pollMs);
    this.poll.unref();
  }

  join(m: FeedMember): void {
    this.live.add(m);
    if (m.filter.tags) this.tagMembers++;
    if (!m.filter.instances) this.anyInstance.add(m);
    else {
      this.byInstance.add(m);
      for (const id of m.filter.instances) this.wanted.set(id, (this.wanted.get(id) ?? 0) + 1);
    }
    this.wake();
  }

  leave(m: FeedMember): void {
    if (!this.live.delete(m)) return;
    if (m.filter.tags) this.tagMembers--;
    this.anyInstance.delete(m);
    if (!this.byInstance.delete(m)) return;
    for (const id of m.filter.instances ?? []) {
      const n = (this.wanted.get(id) ?? 1) - 1;
      if (n > 0) this.wanted.set(id, n);
      else this.wanted.delete(id);
    }
  }

  /** Re-reads the stream after a commit; concurrent wake-ups coalesce into one more read. */
  wake(): void {
    if (this.reading) {
      this.again = true;
      return;
    }
    this.reading = true;
    void (async () => {
      try {
        do {
          this.again = false;
          await this.readOnce();
        } while (this.again && this.live.size > 0);
      } catch (err) {
        this.hub.onError(err);
      } finally {
        this.reading = false;
      }
    })();
  }

  private async readOnce(): Promise<void> {
    await this.ready;
    const { head, epoch } = await streamHead(this.hub.db, this.workspace);
    if ((this.epoch !== null && epoch !== this.epoch) || head < this.cursor) {
      this.epoch = epoch;
      this.cursor = 0;
      this.generation++;
      for (const m of [...this.live]) m.reset(epoch, head);
    } else this.epoch = epoch;
    while (this.cursor < head && this.live.size > 0) {
      const limit = this.hub.tunables.batchLimit;
      const events = await readEncoded(this.hub.db, this.workspace, { since: this.cursor, upTo: head, limit });
      const through = events.length < limit ? head : events[events.length - 1]!.seq;
      if (this.tagMembers > 0) await this.tags.prime(events.flatMap((e) => (e.instance ? [e.instance] : [])));
      const runs = slices(events, through, this.hub.sliceBytes);
      for (const [i, [run, upTo]] of runs.entries()) {
        if (i > 0) await new Promise((resolve) => setImmediate(resolve));
        this.dispatch(run, upTo);
      }
    }
  }

  private dispatch(batch: EncodedEvent[], through: number): void {
    this.cursor = through;
    for (const m of this.anyInstance) m.push(batch, through);
    if (this.byInstance.size === 0) return;
    const groups = new Map<string, EncodedEvent[]>();
    for (const item of batch) {
      const id = item.instance;
      if (id === null || !this.wanted.has(id)) continue;
      const group = groups.get(id);
      if (group) group.push(item);
      else groups.set(id, [item]);
    }
    for (const m of this.byInstance) {
      const ids = m.filter.instances!;
      let events: EncodedEvent[];
      if (ids.size === 1) events = groups.get(ids.values().next().value!) ?? [];
      else {
        events = [...ids].flatMap((id) => groups.get(id) ?? []);
        events.sort((a, b) => a.seq - b.seq);
      }
      m.push(events, through);
    }
  }

  close(): void {
    clearInterval(this.poll);
    this.poll = undefined;
    this.live.clear();
  }
}

/**
 * The per-process registry of stream feeds; wakes them when the bus reports a commit. Also
 * watches the tokens tails were opened with, so that revoking one closes its sockets.
 */
export class EventHub {
  private readonly feeds = new Map<string, StreamFeed>();
  private readonly onCommitted = (workspace: string) => this.feeds.get(workspace)?.wake();
  readonly credentials: CredentialWatch;
  /** Closes a tail once its user is no longer a member of the tailed workspace. */
  readonly memberships: MembershipWatch;

  constructor(
    readonly db: Db,
    private readonly bus: EventBus,
    readonly tunables: EventTunables,
    readonly onError: (err: unknown) => void,
  ) {
    bus.on('committed', this.onCommitted);
    this.credentials = new CredentialWatch(db, bus, () => tunables.tokenRecheckMs, onError);
    this.memberships = new MembershipWatch(db, bus, () => tunables.tokenRecheckMs, onError);
  }

  /** Largest run of events sent as one frame: a quarter of the tail buffer cap, at most 1 MiB. */
  get sliceBytes(): number {
    return Math.max(1024, Math.min(1024 * 1024, Math.floor(this.tunables.maxBufferedBytes / 4)));
  }

  acquire(workspace: string): StreamFeed {
    let feed = this.feeds.get(workspace);
    if (!feed) this.feeds.set(workspace, (feed = new StreamFeed(this, workspace)));
    feed.refs++;
    return feed;
  }

  release(feed: StreamFeed): void {
    if (--feed.refs > 0 || this.feeds.get(feed.workspace) !== feed) return;
    feed.close();
    this.feeds.delete(feed.workspace);
  }

  /** Number of live tails per workspace (diagnostics and tests). */
  get feedCount(): number {
    return this.feeds.size;
  }

  close(): void {
    this.bus.off('committed', this.onCommitted);
    this.credentials.close();
    this.memberships.close();
    for (const feed of this.feeds.values()) feed.close();
    this.feeds.clear();
  }
}
