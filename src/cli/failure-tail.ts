import type { EbClient } from '../client/client.js';
import type { TailEvent } from '../client/events.js';
import { scriptLabel } from './render/events.js';

/** What the CLI shows of a failed operation's failing script. */
export interface FailureTail {
  /** `box:event` of the script that failed. */
  script: string;
  /** Its last output lines; stderr lines start with `stderr| `. */
  lines: string[];
  /** The command that prints the whole log of that script. */
  command: string;
}

export const TAIL_LINES = 20;
/** Output events read back from the end of the instance's stream to find the failing script's tail. */
const WINDOW = 500;

const quote = (s: string) => (/^[\w@%+=:,./-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`);

/**
 * The failing script of an instance's latest failed operation and its last {@link TAIL_LINES}
 * output lines, read from the event stream (which keeps stdout and stderr apart). Undefined when
 * no script failed (a provisioning failure, say) or the events are no longer there.
 */
export async function failureTail(
  client: EbClient,
  instanceId: string,
  workspace: string | undefined,
): Promise<FailureTail | undefined> {
  // Loaded here, not at start: only a failed operation reads its tail, and the event-stream module
  // brings the protocol's schemas along (commands that print results start without them).
  const { readEventPage } = await import('../client/events.js');
  const page = await readEventPage(client.http, {
    workspace,
    instances: [instanceId],
    types: ['script.finish', 'script.output'],
    tail: WINDOW,
  }).catch(() => undefined);
  if (!page) return undefined;
  const finish = [...page.events]
    .reverse()
    .find(
      (e): e is Extract<TailEvent, { type: 'script.finish' }> =>
        e.type === 'script.finish' && e.data.status !== 'success' && e.data.exitCode !== 100,
    );
  if (!finish) return undefined;
  const exec = finish.data.executionId;
  const lines = outputLines(
    page.events.filter(
      (e): e is Output => e.type === 'script.output' && e.seq < finish.seq && e.data.executionId === exec,
    ),
  );
  const event = typeof finish.data.event === 'string' ? finish.data.event : undefined;
  const op = finish.operation ? ` --operation ${quote(finish.operation)}` : '';
  return {
    script: scriptLabel(finish.data),
    lines: lines.slice(-TAIL_LINES),
    command: `ebcli instances logs ${instanceId}${op}${event ? ` --event ${quote(event)}` : ''}`,
  };
}

/** Output events to text lines (partial pieces joined), stderr lines marked. */
type Output = Extract<TailEvent, { type: 'script.output' }>;

function outputLines(events: Output[]): string[] {
  const out: string[] = [];
  let partial = '';
  for (const { data } of events) {
    const mark = data.stream === 'stderr' ? 'stderr| ' : '';
    if ('line' in data) {
      // A whole line sent alone ends whatever partial pieces came before it.
      partial += data.line;
      if (data.partial === true) continue;
      out.push(`${mark}${partial}`);
      partial = '';
      continue;
    }
    const lines = data.lines.map(String);
    for (const l of lines) {
      out.push(`${mark}${partial}${l}`);
      partial = '';
    }
  }
  if (partial) out.push(partial);
  return out;
}
