import { formatTimestamp } from '../../shared/time.js';
import type { Db } from '../store/db.js';

export interface RetentionPolicy {
  maxAgeMs: number;
  maxEvents: number;
}

export interface PruneResult {
  workspace: string;
  deleted: number;
  /** Oldest seq kept afterwards (`head + 1` when nothing is left). */
  first: number;
}

const PAGE = 5000;

/**
 * The last seq of the stream's oldest run of events created before `cutoff`. Pruning only ever
 * removes a prefix, so the kept range stays contiguous: a tail can trust that everything from
 * `first` on is there.
 */
async function agedPrefixEnd(db: Db, workspace: string, cutoff: string, head: number): Promise<number> {
  let last = 0;
  for (;;) {
    const rows = await db
      .selectFrom('events')
      .select(['seq', 'created'])
      .where('workspace', '=', workspace)
      .where('seq', '>', last)
      .where('seq', '<=', head)
      .orderBy('seq')
      .limit(PAGE)
      .execute();
    for (const r of rows) {
      if (r.created >= cutoff) return last;
      last = r.seq;
    }
    if (rows.length < PAGE) return last;
  }
}

/**
 * Deletes what the policy no longer keeps, stream by stream, in short statements so writers are
 * never held for long. Heads and epochs are untouched: a tail that asks for pruned history is
 * told so (resync), never silently moved on.
 */
export async function pruneEvents(db: Db, policy: RetentionPolicy, now = Date.now()): Promise<PruneResult[]> {
  const cutoff = formatTimestamp(BigInt(now - policy.maxAgeMs) * 1000n);
  const streams = await db.selectFrom('stream_heads').select(['workspace', 'head']).execute();
  const results: PruneResult[] = [];
  for (const { workspace, head } of streams) {
    const byCount = head - policy.maxEvents;
    const byAge = await agedPrefixEnd(db, workspace, cutoff, head);
    const upTo = Math.max(byCount, byAge);
    let deleted = 0;
    if (upTo > 0) {
      const oldest = await db
        .selectFrom('events')
        .select((eb) => eb.fn.min<number>('seq').as('seq'))
        .where('workspace', '=', workspace)
        .executeTakeFirst();
      for (let from = oldest?.seq ?? upTo + 1; from <= upTo; from += PAGE) {
        const res = await db
          .deleteFrom('events')
          .where('workspace', '=', workspace)
          .where('seq', '<=', Math.min(from + PAGE - 1, upTo))
          .executeTakeFirst();
        deleted += Number(res.numDeletedRows);
        await new Promise((resolve) => setImmediate(resolve));
      }
    }
    const first = await db
      .selectFrom('events')
      .select((eb) => eb.fn.min<number>('seq').as('seq'))
      .where('workspace', '=', workspace)
      .executeTakeFirst();
    results.push({ workspace, deleted, first: first?.seq ?? head + 1 });
  }
  return results;
}

/** Runs {@link pruneEvents} every `intervalMs` until stopped; errors go to `onError`. */
export function startPruning(
  db: Db,
  policy: () => RetentionPolicy & { intervalMs: number },
  onError: (err: unknown) => void,
): () => Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<unknown> | undefined;
  let stopped = false;
  const schedule = () => {
    if (stopped) return;
    timer = setTimeout(() => {
      running = pruneEvents(db, policy())
        .catch(onError)
        .finally(() => {
          running = undefined;
          schedule();
        });
    }, policy().intervalMs);
    timer.unref();
  };
  schedule();
  return async () => {
    stopped = true;
    clearTimeout(timer);
    await running;
  };
}
