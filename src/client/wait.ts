import { NotFoundError, PermissionDeniedError, WaitTimeoutError } from './errors.js';
import { sleep } from './http.js';
import type { Instances } from './resources/instances.js';
import type { Instance } from './types.js';

/** `operation.event` values that finish each operation (cam-api.md §4.4). */
export const COMPLETION_EVENTS: Record<string, string[]> = {
  deploy: ['deploy'],
  reconfigure: ['reconfigure'],
  reinstall: ['reinstall'],
  poweron: ['poweron'],
  shutdown: ['shutdown', 'shutdown_service'],
  terminate: ['terminate', 'terminate_service'],
  force_terminate: ['terminate', 'terminate_service'],
};

export { displayState } from '../shared/instance-state.js';

export interface WaitTarget {
  id: string;
  /** Events that end the operation; any event when absent. */
  events?: string[];
  /** `updated` before the operation was requested; the finished document must differ. */
  since?: string;
  /** A 404 (or 403) means done: the instance was deleted. */
  goneIsDone?: boolean;
  /** `operation.created` of the operation being waited for, when the request's answer told it. */
  operationCreated?: string;
}

export type WaitOutcome =
  { id: string; outcome: 'done' | 'unavailable'; instance: Instance } | { id: string; outcome: 'gone' };

export interface WaitOptions {
  timeoutMs?: number;
  intervalMs?: number;
  signal?: AbortSignal;
  /** Called when an instance's state, event or `updated` changes. */
  onChange?: (instance: Instance) => void;
}

/** Whether a document shows the operation finished, per the completion contract. */
export function isFinished(doc: Instance, target: WaitTarget): boolean {
  if (doc.state !== 'done' && doc.state !== 'unavailable') return false;
  if (target.since !== undefined && doc.updated === target.since) return false;
  return !target.events || target.events.includes(doc.operation?.event);
}

/** Whether an operation record (`deploy`, `force_terminate`, `redeploy`, …) is one the target waits for. */
function recordMatches(operation: string, events: string[]): boolean {
  if (events.includes(operation)) return true;
  if (operation === 'force_terminate') return events.includes('terminate');
  return operation === 'redeploy' && events.includes('deploy');
}

/**
 * A later operation (an automatic reconfigure after a binding change, say) can replace the one
 * waited for before a poll sees it finish. Operations on one instance never overlap, so the
 * awaited one has ended; its operation record tells how.
 */
async function replacedOutcome(instances: Instances, doc: Instance, t: WaitTarget): Promise<WaitOutcome | undefined> {
  const from = t.operationCreated ?? t.since;
  const current = doc.operation;
  if (!t.events || from === undefined || !current?.created || current.created <= from) return undefined;
  if (t.events.includes(current.event) && t.operationCreated === undefined) return undefined;
  if (t.operationCreated !== undefined && current.created === t.operationCreated) return undefined;
  const ours = (await instances.operations(t.id))
    .filter((o) => o.created >= from && recordMatches(o.operation, t.events!))
    .sort((a, b) => (a.created < b.created ? -1 : 1))[0];
  if (!ours || (ours.state !== 'done' && ours.state !== 'failed')) return undefined;
  return { id: t.id, outcome: ours.state === 'done' ? 'done' : 'unavailable', instance: doc };
}

/** The first poll's pause; each next one doubles, up to the interval. */
const FIRST_POLL_MS = 100;

/**
 * Polls `GET /services/instances/{id}` (after 100 ms, then doubling up to every second by default)
 * until every target finishes.
 * Resolves with one outcome per target; throws {@link WaitTimeoutError} naming those still running.
 */
export async function waitForInstances(
  instances: Instances,
  targets: WaitTarget[],
  opts: WaitOptions = {},
): Promise<WaitOutcome[]> {
  const deadline = opts.timeoutMs === undefined ? Infinity : Date.now() + opts.timeoutMs;
  const interval = opts.intervalMs ?? 1000;
  // The first looks come soon (a trivial deploy on the local provider is done in a few hundred
  // ms; a fixed second made `ebcli deploy` wait ~1 s for nothing), then every `interval`.
  let pause = Math.min(FIRST_POLL_MS, interval);
  const results = new Map<string, WaitOutcome>();
  const seen = new Map<string, string>();
  for (;;) {
    for (const t of targets) {
      if (results.has(t.id)) continue;
      try {
        const doc = await instances.retrieve(t.id);
        const key = `${doc.state}/${doc.operation?.event}/${doc.updated}`;
        if (seen.get(t.id) !== key) {
          seen.set(t.id, key);
          opts.onChange?.(doc);
        }
        if (isFinished(doc, t)) results.set(t.id, { id: t.id, outcome: doc.state as 'done', instance: doc });
        else {
          const replaced = await replacedOutcome(instances, doc, t);
          if (replaced) results.set(t.id, replaced);
        }
      } catch (err) {
        const gone = err instanceof NotFoundError || err instanceof PermissionDeniedError;
        if (gone && t.goneIsDone) results.set(t.id, { id: t.id, outcome: 'gone' });
        else throw err;
      }
    }
    if (results.size === targets.length) return targets.map((t) => results.get(t.id)!);
    const left = deadline - Date.now();
    if (left <= 0) {
      const pending = targets.filter((t) => !results.has(t.id)).map((t) => t.id);
      throw new WaitTimeoutError(`timed out waiting for ${pending.join(', ')}`, pending);
    }
    await sleep(Math.min(pause, left), opts.signal);
    pause = Math.min(interval, pause * 2);
  }
}
