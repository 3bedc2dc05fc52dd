import type { Db } from '../store/db.js';
import type { EventQuery } from './log.js';

/** What a tail or a history read asks for; every given criterion must hold. */
export interface EventFilter {
  /** Events of these instances only. */
  instances?: string[];
  /** Events of instances carrying all of these tags. */
  tags?: string[];
  /** Events of these types only. */
  types?: string[];
}

function tagsOfDoc(doc: string): Set<string> {
  try {
    const tags = (JSON.parse(doc) as { tags?: unknown }).tags;
    return new Set(Array.isArray(tags) ? tags.filter((t): t is string => typeof t === 'string') : []);
  } catch {
    return new Set();
  }
}

/**
 * Instance tags of one workspace, cached for a few seconds so live fan-out can match tag filters
 * synchronously. Instances that no longer exist have no tags.
 */
export class InstanceTags {
  private readonly cache = new Map<string, { tags: Set<string>; at: number }>();

  constructor(
    private readonly db: Db,
    private readonly ttlMs = 5000,
  ) {}

  /** Loads the tags of every id not cached (or stale). */
  async prime(ids: Iterable<string>): Promise<void> {
    const now = Date.now();
    const missing = [...new Set(ids)].filter((id) => {
      const hit = this.cache.get(id);
      return !hit || now - hit.at > this.ttlMs;
    });
    for (let i = 0; i < missing.length; i += 500) {
      const chunk = missing.slice(i, i + 500);
      const rows = await this.db.selectFrom('instances').select(['id', 'doc']).where('id', 'in', chunk).execute();
      const found = new Map(rows.map((r) => [r.id, tagsOfDoc(r.doc)]));
      for (const id of chunk) this.cache.set(id, { tags: found.get(id) ?? new Set(), at: now });
    }
    if (this.cache.size > 50_000) this.cache.clear();
  }

  get(id: string): Set<string> {
    return this.cache.get(id)?.tags ?? new Set();
  }
}

/** A filter prepared for matching many events. */
export class CompiledFilter {
  readonly instances: Set<string> | undefined;
  readonly types: Set<string> | undefined;
  readonly tags: string[] | undefined;

  constructor(filter: EventFilter) {
    this.instances = filter.instances?.length ? new Set(filter.instances) : undefined;
    this.types = filter.types?.length ? new Set(filter.types) : undefined;
    this.tags = filter.tags?.length ? [...new Set(filter.tags)] : undefined;
  }

  get empty(): boolean {
    return !this.instances && !this.types && !this.tags;
  }

  /** Matches one event; tag filters need the event's instance primed in `tags`. */
  matches(e: { type: string; instance: string | null }, tags: InstanceTags): boolean {
    if (this.types && !this.types.has(e.type)) return false;
    if (this.instances && (e.instance === null || !this.instances.has(e.instance))) return false;
    if (this.tags) {
      if (e.instance === null) return false;
      const own = tags.get(e.instance);
      if (!this.tags.every((t) => own.has(t))) return false;
    }
    return true;
  }

  /**
   * The store-side part of the filter: explicit instance ids and types. Tags are matched in memory
   * against current tags, so an instance tagged after a tail started is still followed.
   */
  get query(): Pick<EventQuery, 'instanceIds' | 'types'> {
    return {
      instanceIds: this.instances ? [...this.instances] : undefined,
      types: this.types ? [...this.types] : undefined,
    };
  }
}
