import type { EbClient } from '../client/client.js';
import { NotFoundError, WaitTimeoutError } from '../client/errors.js';
import type { Activity, Instance, InstanceOperation } from '../client/types.js';
import { COMPLETION_EVENTS, displayState, waitForInstances, type WaitTarget } from '../client/wait.js';
import {
  AgentUnreachableError,
  CliError,
  mapError,
  OperationFailedError,
  PartialFailureError,
  UsageError,
} from './errors.js';
import { ExitCode, type ExitCodeValue } from './exit-codes.js';
import { failureTail, type FailureTail } from './failure-tail.js';
import { InstanceResolver } from './instance-refs.js';

/** What happened to one target of a (bulk) operation; one line of output each. */
export interface TargetResult {
  id: string;
  name?: string;
  operation: string;
  outcome: 'done' | 'accepted' | 'gone' | 'failed' | 'timeout' | 'error' | 'not-started';
  state?: string;
  message?: string;
  exitCode: ExitCodeValue;
  /** Stable error code of a failed target (as in `--json` errors). */
  code?: string;
  /** The failing activity lines, when the instance ended unavailable. */
  activity?: string[];
  /** The failing script's last output lines and the command that prints its whole log. */
  output?: FailureTail;
}

/** Outcomes that count as success. */
export const OK_OUTCOMES: ReadonlySet<TargetResult['outcome']> = new Set(['done', 'accepted', 'gone']);

/** Runs `fn` over `items` with at most `limit` in flight, keeping input order in the results. */
export async function runPool<T, R>(items: T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      results[i] = await fn(items[i]!);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}

/**
 * `--max-failures N|P%`: how many failed targets are tolerated before no new target starts
 * (P% of `total`, rounded down). Undefined (no flag) tolerates every failure.
 */
export function failureBudget(text: string | undefined, total: number): number {
  if (text === undefined) return Infinity;
  const m = /^(\d+)(%?)$/.exec(text.trim());
  if (!m || (m[2] && Number(m[1]) > 100))
    throw new UsageError(`--max-failures ${text}: expected a count (N) or a percentage of the targets (P%)`);
  return m[2] ? Math.floor((Number(m[1]) * total) / 100) : Number(m[1]);
}

/** The result of a target that never started because the failure budget was spent. */
export const notStarted = (base: Pick<TargetResult, 'id' | 'name' | 'operation'>): TargetResult => ({
  ...base,
  outcome: 'not-started',
  message: 'not started: the failure budget (--max-failures) was spent',
  exitCode: ExitCode.Failed,
  code: 'not_started',
});

/**
 * Runs `fn` over `items` like {@link runPool}, but once more than `maxFailures` results have failed
 * no new item starts (those in flight finish): the rest get `skipped(item)`.
 */
export async function runBudgeted<T>(
  items: T[],
  limit: number,
  maxFailures: number,
  fn: (item: T) => Promise<TargetResult>,
  skipped: (item: T) => TargetResult,
): Promise<TargetResult[]> {
  let failures = 0;
  return runPool(items, limit, async (item) => {
    if (failures > maxFailures) return skipped(item);
    const r = await fn(item);
    if (!OK_OUTCOMES.has(r.outcome)) failures++;
    return r;
  });
}

/** Instances named by id or name, plus those carrying every one of `tags` (when tags are given). */
export async function resolveTargets(
  client: EbClient,
  refs: string[],
  tags: string[],
  resolver = new InstanceResolver(client),
): Promise<{ id: string; doc?: Instance; error?: unknown }[]> {
  const out = new Map<string, { id: string; doc?: Instance; error?: unknown }>();
  if (tags.length) {
    for (const doc of await resolver.instances()) {
      if (tags.every((t) => (doc.tags ?? []).includes(t))) out.set(doc.id, { id: doc.id, doc });
    }
  }
  for (const r of await resolver.resolveAll(refs.filter((ref) => !out.has(ref)))) {
    if (!out.has(r.id)) out.set(r.id, { id: r.id, doc: r.doc, error: r.error });
  }
  return [...out.values()];
}

/** Why an operation failed: its explaining activity lines, and whether its agent was unreachable. */
export interface FailingActivity {
  lines: string[];
  /** A failure entry of the operation says `code: agent_unreachable` (never guessed from wording). */
  agentDown: boolean;
}

/** The activity lines that explain a failure: non-zero exits and the last lines of the operation. */
export async function failingActivity(client: EbClient, id: string, operation: string): Promise<FailingActivity> {
  let entries: Activity[] = [];
  try {
    entries = await client.instances.activity(id, { operation });
    if (entries.length === 0) entries = await client.instances.activity(id);
  } catch {
    return { lines: [], agentDown: false };
  }
  const bad = entries.filter((a) => typeof a.exit_code === 'number' && a.exit_code !== 0);
  const picked = bad.length ? bad : entries.slice(-5);
  return {
    lines: picked.map((a) => `${a.created ?? ''} ${a.machine ? `[${a.machine}] ` : ''}${a.text}`.trim()),
    agentDown: entries.some((a) => a.code === 'agent_unreachable'),
  };
}

export interface WaitContext {
  client: EbClient;
  deadline: number;
  onChange: (doc: Instance) => void;
  /** Aborting stops the wait (fail fast when another target failed). */
  signal?: AbortSignal;
}

/** Waits for one started operation and turns the outcome into a result. */
export async function awaitOutcome(ctx: WaitContext, target: WaitTarget, base: TargetResult): Promise<TargetResult> {
  try {
    const [outcome] = await waitForInstances(ctx.client.instances, [target], {
      timeoutMs: Math.max(0, ctx.deadline - Date.now()),
      onChange: ctx.onChange,
      signal: ctx.signal,
    });
    if (!outcome || outcome.outcome === 'gone') return { ...base, outcome: 'gone', state: 'deleted', exitCode: 0 };
    const state = displayState(outcome.instance);
    if (outcome.outcome === 'done') return { ...base, outcome: 'done', state, exitCode: 0 };
    const { lines: activity, agentDown } = await failingActivity(ctx.client, target.id, base.operation);
    const output = await failureTail(ctx.client, target.id, outcome.instance.owner);
    return {
      ...base,
      outcome: 'failed',
      state,
      activity,
      ...(output ? { output } : {}),
      message: agentDown ? 'agent unreachable' : `${base.operation} failed: instance is unavailable`,
      exitCode: agentDown ? ExitCode.AgentUnreachable : ExitCode.Failed,
      code: agentDown ? 'agent_unreachable' : 'failed',
    };
  } catch (err) {
    if (ctx.signal?.aborted) {
      return {
        ...base,
        outcome: 'error',
        message: 'stopped waiting: another instance failed',
        exitCode: 1,
        code: 'cancelled',
      };
    }
    if (err instanceof WaitTimeoutError) {
      return { ...base, outcome: 'timeout', message: 'still running', exitCode: ExitCode.Timeout, code: 'timeout' };
    }
    return errorResult(base, err);
  }
}

export function errorResult(base: TargetResult, err: unknown): TargetResult {
  const m = mapError(err);
  return { ...base, outcome: 'error', message: m.message, exitCode: m.exitCode, code: m.code };
}

export interface OperateOptions {
  wait: boolean;
  deadline: number;
  onChange: (doc: Instance) => void;
}

/** Starts `op` on one instance and, unless told not to, waits for it per the completion contract. */
export async function operate(
  client: EbClient,
  target: { id: string; doc?: Instance; error?: unknown },
  op: InstanceOperation,
  opts: OperateOptions,
): Promise<TargetResult> {
  const base: TargetResult = { id: target.id, name: target.doc?.name, operation: op, outcome: 'accepted', exitCode: 0 };
  if (target.error || !target.doc)
    return errorResult(
      base,
      target.error ??
        new NotFoundError({ status: 404, message: `Instance ${target.id} not found`, method: 'GET', path: '' }),
    );
  const terminating = op === 'terminate' || op === 'force_terminate';
  if (terminating && displayState(target.doc) === 'terminated')
    return { ...base, outcome: 'done', state: 'terminated', message: 'already terminated' };
  try {
    await client.instances.operate(target.id, op);
  } catch (err) {
    return errorResult(base, err);
  }
  if (!opts.wait) return { ...base, state: 'processing' };
  const waitTarget: WaitTarget =
    op === 'delete'
      ? { id: target.id, goneIsDone: true, since: target.doc.updated }
      : { id: target.id, events: COMPLETION_EVENTS[op], since: target.doc.updated };
  return awaitOutcome({ client, deadline: opts.deadline, onChange: opts.onChange }, waitTarget, base);
}

/** What stderr shows under a failed target: its failing activity, the script's last lines, the log command. */
export function failureNotes(r: TargetResult): string[] {
  const notes = (r.activity ?? []).map((l) => `  ${l}`);
  if (r.output) {
    if (r.output.lines.length) {
      notes.push(`  last ${r.output.lines.length} output lines of ${r.output.script}:`);
      notes.push(...r.output.lines.map((l) => `    ${l}`));
    } else notes.push(`  ${r.output.script} printed nothing`);
    notes.push(`  whole log: ${r.output.command}`);
  }
  return notes;
}

/** One result line: `ID  OUTCOME  STATE-or-message` (tab-separated). */
export function resultLine(r: TargetResult): string {
  return [r.id, r.outcome, r.message ?? r.state ?? ''].join('\t');
}

/**
 * The exit for a set of results: 0 when all succeeded, 5 when only some did; when none did, the
 * single target's own code, 3 when every one timed out, else 1.
 */
export function finish(results: TargetResult[]): void {
  const failed = results.filter((r) => !OK_OUTCOMES.has(r.outcome));
  if (failed.length === 0) return;
  const skipped = failed.filter((r) => r.outcome === 'not-started');
  const never = skipped.length ? `; ${skipped.length} never started: ${skipped.map((r) => r.id).join(', ')}` : '';
  if (failed.length < results.length) {
    const n = failed.length - skipped.length;
    throw new PartialFailureError(`${n} of ${results.length} targets failed${never}`, results);
  }
  const first = failed[0]!;
  if (!skipped.length && (results.length === 1 || failed.every((r) => r.exitCode === first.exitCode))) {
    const ids = failed.map((r) => r.id);
    const message = results.length === 1 ? `${first.id}: ${first.message}` : `all ${results.length} targets failed`;
    if (first.exitCode === ExitCode.Timeout) {
      throw new CliError(
        `${message}; the operation may still be running`,
        ExitCode.Timeout,
        'timeout',
        `keep waiting with \`ebcli wait ${ids.join(' ')}\``,
      );
    }
    if (first.exitCode === ExitCode.AgentUnreachable) throw new AgentUnreachableError(message);
    if (first.exitCode === ExitCode.Failed) throw new OperationFailedError(message, results);
    throw new CliError(message, first.exitCode, first.code ?? 'error');
  }
  throw new OperationFailedError(
    `${failed.length - skipped.length} of ${results.length} targets failed${never}`,
    results,
  );
}
