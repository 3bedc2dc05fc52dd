import { Flags } from '@oclif/core';
import type { EbClient } from '../client/client.js';
import type { EventFilterOptions, EventStreamItem, EventStreamOptions, TailEvent } from '../client/events.js';
import type { Instance, InstanceOperation } from '../client/types.js';
import { displayState } from '../client/wait.js';
import { readLocalState, type ResolvedSettings } from '../shared/config.js';
import type { CommandHost } from './base-command.js';
import { doneWaiting, waitingFor } from './interrupt.js';
import { ExitCode } from './exit-codes.js';
import { printResult, selectTargets, TARGET_RESULT_FIELDS, type OperationInput } from './instance-ops.js';
import { checkJsonFields, projectJson } from './json-fields.js';
import { resolveInstance } from './instance-refs.js';
import {
  errorResult,
  failingActivity,
  failureBudget,
  finish,
  notStarted,
  operate,
  runBudgeted,
  type TargetResult,
} from './operations.js';
import { EventFormatter, ndjson, resyncNotice, scriptLabel } from './render/events.js';
import type { Style } from './render/style.js';
import { drained } from './stdio.js';

/** What the streaming helpers need from a command (its protected members, passed in). */
export interface StreamHost {
  settings(): ResolvedSettings;
  client(): Promise<EbClient>;
  json: boolean;
  /** `--json LIST`: each NDJSON event keeps only these fields. */
  jsonFields?: string[];
  style: Style;
  note(message: string): void;
}

/** A {@link StreamHost} for a command: its host, settings and output style. */
export function streamHost(
  host: CommandHost,
  settings: () => ResolvedSettings,
  style: Style,
): StreamHost & CommandHost {
  return { ...host, settings, json: host.jsonEnabled(), style };
}

/**
 * URL, token and CA for the event stream. With the embedded server the URL is re-read before
 * every connection attempt: after a restart it may listen on another port.
 */
export async function streamConnection(
  host: StreamHost,
): Promise<Pick<EventStreamOptions, 'url' | 'token' | 'caFile'>> {
  await host.client();
  const s = host.settings();
  const url = s.url.value!;
  return {
    url: s.isLocal ? () => readLocalState(process.env, s.dataDir).url ?? url : url,
    token: s.token.value,
    caFile: s.caFile.value,
  };
}

/** The fields of a stream event (src/shared/protocol.ts TailEvent). */
const EVENT_FIELDS = ['seq', 'type', 'instance', 'operation', 'created', 'data'];

/** Writes stream items: human lines (or NDJSON under --json) on stdout, notices on stderr. */
export class EventPrinter {
  readonly formatter: EventFormatter;

  constructor(private readonly host: StreamHost) {
    this.formatter = new EventFormatter(host.style);
    if (host.json && host.jsonFields) checkJsonFields(host.jsonFields, EVENT_FIELDS);
  }

  item(item: EventStreamItem): void {
    if (item.kind === 'event') return this.event(item.event);
    if (item.kind === 'resync') {
      if (this.host.json) process.stdout.write(`${ndjson(item)}\n`);
      this.host.note(this.host.style.yellow(resyncNotice(item.resync)));
    } else if (item.kind === 'disconnected') {
      const why = item.reason ? `: ${item.reason}` : '';
      this.host.note(
        this.host.style.yellow(
          `-- connection lost (${item.code}${why}); reconnecting in ${(item.retryInMs / 1000).toFixed(1)} s`,
        ),
      );
    } else if (item.reconnect) {
      this.host.note(this.host.style.yellow(`-- reconnected; resuming after event ${item.welcome.since}`));
    }
  }

  event(e: TailEvent): void {
    const fields = this.host.jsonFields;
    const line = this.host.json ? JSON.stringify(fields ? projectJson(e, fields) : e) : this.formatter.format(e);
    if (line !== undefined) process.stdout.write(`${line}\n`);
  }
}

/** The stream's head seq now: following "after the head" sees everything that happens next. */
export async function currentHead(client: EbClient, workspace?: string): Promise<number> {
  const { readEventPage } = await import('../client/events.js');
  return (await readEventPage(client.http, { workspace, tail: 1, limit: 1 })).head;
}

export interface FollowTarget {
  id: string;
  /** The operation followed (deploy, reconfigure, …). */
  operation: string;
  /** `updated` of the instance when the operation was requested: only a newer terminal state ends it. */
  after?: string;
  base: TargetResult;
}

export interface FollowOptions extends EventFilterOptions {
  /** Stop waiting at this time (exit 3 for what is still running). */
  deadline?: number;
  /** Print only events for which this holds (terminal states are detected regardless). */
  show?: (e: TailEvent, printer: EventPrinter) => boolean;
}

/**
 * Streams the targets' events until each reaches a terminal state (an `instance.state` of
 * `done` or `unavailable` newer than `after`); a failure names the failing script.
 */
export async function followOperations(
  host: StreamHost,
  targets: FollowTarget[],
  opts: FollowOptions,
): Promise<TargetResult[]> {
  if (targets.length === 0) return [];
  const { streamEvents } = await import('../client/events.js');
  const printer = new EventPrinter(host);
  const pending = new Map(targets.map((t) => [t.id, t]));
  const failing = new Map<string, string>();
  const results = new Map<string, TargetResult>();
  const stop = new AbortController();
  const timer = opts.deadline ? setTimeout(() => stop.abort(), Math.max(0, opts.deadline - Date.now())) : undefined;
  waitingFor(pending.keys());
  const stream = streamEvents({
    ...(await streamConnection(host)),
    ...opts,
    instances: [...pending.keys()],
    signal: stop.signal,
  });
  try {
    for await (const item of stream) {
      if (item.kind !== 'event') {
        printer.item(item);
        continue;
      }
      const e = item.event;
      if (!opts.show || opts.show(e, printer)) {
        printer.event(e);
        await drained();
      }
      if (e.type === 'script.finish' && e.instance && e.data.status !== 'success') {
        const code =
          e.data.exitCode === null || e.data.exitCode === undefined ? e.data.status : `exit ${String(e.data.exitCode)}`;
        failing.set(e.instance, `${scriptLabel(e.data)} failed (${String(code)})`);
      }
      const target = e.instance ? pending.get(e.instance) : undefined;
      if (e.type !== 'instance.state' || !target) continue;
      const state = e.data.state;
      if (state !== 'done' && state !== 'unavailable') continue;
      if (target.after !== undefined && String(e.data.updated ?? '') <= target.after) continue;
      const failed = state === 'unavailable';
      const script = failing.get(target.id);
      results.set(target.id, {
        ...target.base,
        outcome: failed ? 'failed' : 'done',
        state: displayState({ state: String(state), operation: e.data.operation } as Pick<
          Instance,
          'state' | 'operation'
        >),
        exitCode: failed ? ExitCode.Failed : ExitCode.Ok,
        ...(failed
          ? {
              message: `${target.operation} failed${script ? `: ${script}` : ''}`,
              code: 'failed',
              ...(script ? { activity: [script] } : {}),
            }
          : {}),
      });
      pending.delete(target.id);
      doneWaiting(target.id);
      if (pending.size === 0) break;
    }
  } finally {
    clearTimeout(timer);
    stop.abort();
  }
  return targets.map(
    (t) =>
      results.get(t.id) ?? {
        ...t.base,
        outcome: 'timeout',
        message: 'still running',
        exitCode: ExitCode.Timeout,
        code: 'timeout',
      },
  );
}

/** Event types `instances logs -f` shows (state changes end the follow). */
const LOG_TYPES = ['script.start', 'script.output', 'script.finish', 'instance.state'];

/**
 * `instances logs ID -f`: the last `lines` log events, then live output until the running
 * operation ends; exits with its outcome. An instance with no operation running prints its recent
 * log and ends with the outcome of its last operation.
 */
export async function followInstanceLogs(
  host: StreamHost,
  ref: string,
  opts: { lines?: number; event?: string },
): Promise<void> {
  const client = await host.client();
  const doc = await resolveInstance(client, ref);
  const id = doc.id;
  const event = opts.event;
  const show = event
    ? (e: TailEvent, printer: EventPrinter) =>
        e.type === 'instance.state' ||
        (e.type === 'script.output'
          ? printer.formatter.eventOf(e.data.executionId)
          : 'event' in e.data
            ? e.data.event
            : undefined) === event
    : undefined;
  const filter = { workspace: doc.owner, instances: [id], types: LOG_TYPES, tail: opts.lines ?? 1000 };
  const base: TargetResult = {
    id,
    name: doc.name,
    operation: doc.operation?.event ?? 'operation',
    outcome: 'accepted',
    exitCode: 0,
  };
  let results: TargetResult[];
  if (doc.state === 'processing') {
    results = await followOperations(host, [{ id, operation: base.operation, after: doc.updated, base }], {
      ...filter,
      show,
    });
  } else {
    const { readEventPage } = await import('../client/events.js');
    const printer = new EventPrinter(host);
    const page = await readEventPage(client.http, filter);
    let failing: string | undefined;
    for (const e of page.events) {
      if (!show || show(e, printer)) printer.event(e);
      if (e.type === 'script.finish' && e.data.status !== 'success') failing = `${scriptLabel(e.data)} failed`;
    }
    const failed = doc.state === 'unavailable';
    const message = `${base.operation} failed${failing ? `: ${failing}` : ''}`;
    results = [
      {
        ...base,
        outcome: failed ? 'failed' : 'done',
        exitCode: failed ? ExitCode.Failed : ExitCode.Ok,
        ...(failed ? { message } : {}),
      },
    ];
  }
  finish(results);
}

/** `--follow` of the lifecycle commands (reconfigure, reinstall, poweron, shutdown, terminate). */
export const followFlag = Flags.boolean({
  char: 'f',
  description:
    "stream each target's events and script output until its operation ends, then the results (implies --wait; --json: NDJSON)",
});

/**
 * A lifecycle operation with `--follow`: resolves and confirms the targets as without it, then for
 * each (at most `concurrency` at once) starts the operation and streams the instance's events
 * from the head seen just before, until the operation ends. Prints one result line per target
 * once all have ended and exits as without `--follow` (0, 1 naming the failing script, 5 when
 * only some failed, 3 on timeout).
 */
export async function followInstanceOperation(
  host: StreamHost & CommandHost,
  op: InstanceOperation,
  input: OperationInput,
): Promise<TargetResult[]> {
  if (host.jsonFields) checkJsonFields(host.jsonFields, TARGET_RESULT_FIELDS);
  const client = await host.client();
  const targets = await selectTargets(client, op, input);
  const deadline = Date.now() + input.timeoutMs;
  const budget = failureBudget(input.maxFailures, targets.length);
  const skipped = (t: (typeof targets)[number]) => notStarted({ id: t.id, name: t.doc?.name, operation: op });
  const results = await runBudgeted(
    targets,
    input.concurrency,
    budget,
    async (t) => {
      const base: TargetResult = { id: t.id, name: t.doc?.name, operation: op, outcome: 'accepted', exitCode: 0 };
      try {
        const workspace = t.doc?.owner;
        const since = t.doc ? await currentHead(client, workspace) : undefined;
        const started = await operate(client, t, op, { wait: false, deadline, onChange: () => undefined });
        if (started.outcome !== 'accepted' || !t.doc) return started;
        const target = { id: t.id, operation: op, after: t.doc.updated, base: started };
        const [r] = await followOperations(host, [target], { workspace, since, deadline });
        return r!.outcome === 'failed' && !r!.activity ? explainFailure(client, r!) : r!;
      } catch (err) {
        return errorResult(base, err);
      }
    },
    skipped,
  );
  for (const r of results) {
    printResult(host, r);
    for (const line of r.activity ?? []) host.note(`  ${line}`);
  }
  finish(results);
  return results;
}

/** A failure no script explains: the failing activity, and exit 7 when the agent was unreachable. */
async function explainFailure(client: EbClient, r: TargetResult): Promise<TargetResult> {
  const { lines: activity, agentDown } = await failingActivity(client, r.id, r.operation);
  if (!agentDown) return { ...r, activity };
  return {
    ...r,
    activity,
    message: 'agent unreachable',
    exitCode: ExitCode.AgentUnreachable,
    code: 'agent_unreachable',
  };
}
