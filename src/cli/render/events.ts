import type { EventStreamItem, TailEvent } from '../../client/events.js';
import { parseTimestamp } from '../../shared/time.js';
import { stateColor, type Style } from './style.js';

type Resync = Extract<EventStreamItem, { kind: 'resync' }>['resync'];

interface Script {
  label: string;
  event: string | undefined;
  startedMs: number | undefined;
}

const str = (v: unknown): string | undefined => (typeof v === 'string' && v ? v : undefined);
/** Longest partial line kept while waiting for its end. */
const MAX_PARTIAL = 1024 * 1024;

function clock(created: string): string {
  const ms = parseTimestamp(created);
  if (ms === undefined) return created;
  const d = new Date(ms);
  const pad = (n: number, w = 2) => String(n).padStart(w, '0');
  return `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}.${pad(d.getMilliseconds(), 3)}`;
}

function duration(ms: number): string {
  if (ms < 1000) return `${ms} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)} s`;
  return `${Math.floor(ms / 60_000)} min ${Math.round((ms % 60_000) / 1000)} s`;
}

/** `box:event` of a script event (`event` alone for the main box when the box is unnamed). */
export function scriptLabel(data: { event?: unknown; box?: unknown }): string {
  const event = str(data.event) ?? 'script';
  const box = str(data.box);
  return box ? `${box}:${event}` : event;
}

/**
 * Turns tail events into human lines: `time  instance  box:event  text`, a header when a script
 * starts, its exit code and duration when it ends, colour for stderr output and failures.
 * Remembers which script each execution is (output events carry only the execution id) and joins
 * long lines that arrive in parts.
 */
export class EventFormatter {
  private readonly scripts = new Map<string, Script>();
  private readonly partial = new Map<string, string>();

  constructor(private readonly s: Style) {}

  /** The event name (install, configure, …) of an execution whose start was formatted. */
  eventOf(executionId: unknown): string | undefined {
    return typeof executionId === 'string' ? this.scripts.get(executionId)?.event : undefined;
  }

  /** One line (no newline) for an event, or undefined when it produces none (yet). */
  format(e: TailEvent): string | undefined {
    const s = this.s;
    const head = `${s.dim(clock(e.created))}  ${e.instance ?? '-'}`;
    switch (e.type) {
      case 'script.start': {
        const d = e.data;
        const label = scriptLabel(d);
        this.scripts.set(d.executionId, { label, event: str(d.event), startedMs: parseTimestamp(e.created) });
        return `${head}  ${s.bold(s.cyan(`==> ${label}`))}${d.machine ? s.dim(` on ${d.machine}`) : ''}`;
      }
      case 'script.output': {
        const d = e.data;
        const label = this.scripts.get(d.executionId)?.label ?? '';
        const prefix = `${head}  ${label ? `${s.dim(label)}  ` : ''}`;
        const paint = (line: string) => `${prefix}${d.stream === 'stderr' ? s.red(line) : line}`;
        // A writer may batch several lines into one event (`lines`), or split a long one (`partial`).
        if ('lines' in d) return d.lines.map((l) => paint(String(l))).join('\n') || undefined;
        const key = `${d.executionId}/${d.stream}`;
        const line = `${this.partial.get(key) ?? ''}${typeof d.line === 'string' ? d.line : ''}`;
        if (d.partial === true && line.length < MAX_PARTIAL) {
          this.partial.set(key, line);
          return undefined;
        }
        this.partial.delete(key);
        return paint(line);
      }
      case 'script.finish': {
        const d = e.data;
        const known = this.scripts.get(d.executionId);
        const label = known?.label ?? scriptLabel(d);
        const end = parseTimestamp(e.created);
        const took =
          typeof d.durationMs === 'number'
            ? d.durationMs
            : known?.startedMs !== undefined && end !== undefined
              ? end - known.startedMs
              : undefined;
        const code = d.exitCode === null || d.exitCode === undefined ? '' : `exit ${String(d.exitCode)}`;
        const status = str(d.status) ?? (d.exitCode === 0 ? 'success' : 'failed');
        const detail = [
          status === 'success' ? code : [status, code].filter(Boolean).join(', '),
          took !== undefined ? duration(took) : '',
        ]
          .filter(Boolean)
          .join(', ');
        const text = `<== ${label} ${detail ? `(${detail})` : ''}${str(d.message) ? `: ${d.message}` : ''}`;
        return `${head}  ${status === 'success' ? s.green(text) : s.bold(s.red(text))}`;
      }
      case 'instance.state': {
        const state = str(e.data.state) ?? '?';
        const op = e.data.operation?.event;
        return `${head}  state ${stateColor(s, state)}${typeof op === 'string' ? s.dim(` (${op})`) : ''}`;
      }
      case 'activity':
        return `${head}  ${s.dim(String(e.data.text ?? ''))}`;
      case 'agent.connect':
      case 'agent.disconnect':
      case 'agent.lost': {
        const what = {
          'agent.connect': 'agent connected',
          'agent.disconnect': 'agent disconnected',
          'agent.lost': 'agent lost',
        }[e.type];
        const text = `${what}${str(e.data.machine) ? ` (${e.data.machine})` : ''}`;
        return `${head}  ${e.type === 'agent.lost' ? s.red(text) : s.dim(text)}`;
      }
      case 'alert.open':
      case 'alert.update':
      case 'alert.resolve': {
        const d = e.data;
        const verb = { 'alert.open': 'alert opened', 'alert.update': 'alert', 'alert.resolve': 'alert resolved' }[
          e.type
        ];
        const flap = d.flapping ? ' (flapping)' : '';
        const text = `${verb}: ${d.check ?? '?'} ${String(d.status ?? '').toUpperCase()}${flap}${str(d.message) ? ` ${d.message}` : ''}`;
        return `${head}  ${e.type === 'alert.resolve' ? s.green(text) : d.status === 'critical' ? s.bold(s.red(text)) : s.yellow(text)}`;
      }
      case 'alert.ack':
        return `${head}  ${s.dim(`alert acknowledged: ${e.data.check ?? '?'} by ${e.data.by ?? '?'}`)}`;
      case 'alert.silence':
        return `${head}  ${s.dim(`alert silenced: ${e.data.check ?? '?'} until ${e.data.until ?? '?'} by ${e.data.by ?? '?'}`)}`;
      default: {
        // Types this CLI does not know yet (a newer server) are shown as they came.
        const other = e as { type: string; data: unknown };
        return `${head}  ${other.type} ${JSON.stringify(other.data)}`;
      }
    }
  }
}

/** The notice shown when the server no longer had the events asked for. */
export function resyncNotice(r: Resync): string {
  if (r.reason === 'pruned') {
    const missed = r.first - 1 - r.requested;
    const gap = missed > 0 ? `events ${r.requested + 1}..${r.first - 1} are` : 'older events are';
    return `!! history gap: ${gap} no longer kept by the server; continuing from event ${r.first}`;
  }
  if (r.reason === 'epoch') return `!! the event stream was reset on the server; continuing from its event ${r.first}`;
  return `!! the server's stream ends before event ${r.requested}; continuing from event ${r.first}`;
}

/** A stream item as one NDJSON line: events as sent by the server, the rest as `{type, …}` markers. */
export function ndjson(item: EventStreamItem): string | undefined {
  if (item.kind === 'event') return JSON.stringify(item.event);
  if (item.kind === 'resync') return JSON.stringify({ type: 'resync', ...item.resync });
  return undefined;
}
