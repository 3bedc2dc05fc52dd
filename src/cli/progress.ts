import { setTimeout as delay } from 'node:timers/promises';
import type { EbClient } from '../client/client.js';
import { readEventPage } from '../client/events.js';
import type { Instance } from '../client/types.js';
import { displayState } from '../client/wait.js';
import { doneWaiting, waitingFor } from './interrupt.js';
import { ProgressView, type ProgressSink } from './render/progress.js';
import { scriptLabel } from './render/events.js';
import { colorEnabled, style, type Style } from './render/style.js';

const STEP_POLL_MS = 1000;

/**
 * Progress of waiting commands (deploy, lifecycle operations, wait): the instance documents the
 * wait polls give the state; the newest `script.start` event of each target gives the box:event
 * running now. Errors reading steps are ignored: progress is decoration, the wait decides.
 */
export class Progress {
  readonly view: ProgressView;
  /** Targets being waited for: their workspace and when their operation started (server time). */
  private readonly targets = new Map<string, { workspace?: string; since?: string }>();
  private readonly stopped = new AbortController();
  private polling: Promise<void> | undefined;

  constructor(
    private readonly client: EbClient,
    sink: ProgressSink,
    style: Style,
  ) {
    this.view = new ProgressView(sink, style);
  }

  /** Starts showing a target, from its document as the operation's request answered or a poll saw it. */
  begin(doc: Pick<Instance, 'id' | 'name' | 'owner' | 'operation'>): void {
    if (this.targets.has(doc.id)) return;
    this.targets.set(doc.id, { workspace: doc.owner, since: doc.operation?.created });
    waitingFor([doc.id]);
    this.view.track(doc.id, doc.name);
    this.polling ??= this.pollSteps();
  }

  /** For the wait's `onChange`. */
  readonly onChange = (doc: Instance): void => {
    this.begin(doc);
    const t = this.targets.get(doc.id);
    if (t && doc.operation?.created && (!t.since || doc.operation.created > t.since)) t.since = doc.operation.created;
    this.view.update(doc.id, { state: displayState(doc), name: doc.name });
  };

  end(id: string, state: string): void {
    this.targets.delete(id);
    doneWaiting(id);
    this.view.end(id, state);
  }

  async stop(): Promise<void> {
    this.stopped.abort();
    await this.polling;
    this.view.stop();
  }

  private async pollSteps(): Promise<void> {
    const signal = this.stopped.signal;
    while (!signal.aborted) {
      for (const [id, t] of [...this.targets]) {
        if (signal.aborted) return;
        const page = await readEventPage(this.client.http, {
          workspace: t.workspace,
          instances: [id],
          types: ['script.start'],
          tail: 1,
        }).catch(() => undefined);
        const last = page?.events.at(-1);
        // A script of an earlier operation is not this operation's step.
        if (last?.type === 'script.start' && this.targets.has(id) && (!t.since || last.created >= t.since)) {
          this.view.update(id, { step: scriptLabel(last.data) });
        }
      }
      await delay(STEP_POLL_MS, undefined, { signal }).catch(() => undefined);
    }
  }
}

/** Progress on this process's stderr, coloured as stderr allows. */
export async function stderrProgress(client: EbClient): Promise<Progress> {
  return new Progress(client, process.stderr, await style(colorEnabled(process.stderr)));
}
