import { Flags } from '@oclif/core';
import { BaseCommand } from '../cli/base-command.js';
import { NotFoundCliError, UsageError } from '../cli/errors.js';
import { tagFlag, timeoutFlag } from '../cli/flags.js';
import {
  awaitOutcome,
  errorResult,
  failureNotes,
  finish,
  resolveTargets,
  resultLine,
  type TargetResult,
} from '../cli/operations.js';
import { stderrProgress } from '../cli/progress.js';
import { COMPLETION_EVENTS } from '../client/wait.js';

export default class Wait extends BaseCommand<typeof Wait> {
  static override summary = 'Wait until instances finish their operation (or are terminated)';
  static override description =
    'Polls every second. Fails fast (exit 1) as soon as one instance is unavailable; exit 3 when --timeout passes first.';

  static override strict = false;
  static override args = {};
  static override flags = {
    tag: tagFlag,
    for: Flags.string({ description: 'state to wait for', options: ['done', 'terminated'], default: 'done' }),
    timeout: timeoutFlag('30m'),
  };

  static override examples = [
    '<%= config.bin %> wait i-abc123 i-def456 --timeout 10m',
    '<%= config.bin %> wait --tag ci --for terminated',
  ];

  async run(): Promise<TargetResult[]> {
    const ids = this.argvRest;
    const tags = this.flags.tag ?? [];
    if (ids.length === 0 && tags.length === 0)
      throw new UsageError('no instances given: pass instance ids or names, or --tag');
    const client = await this.client();
    const targets = await resolveTargets(client, ids, tags);
    if (targets.length === 0) throw new NotFoundCliError(`no instance has all the tags ${tags.join(', ')}`);
    const terminated = this.flags.for === 'terminated';
    const deadline = Date.now() + this.flags.timeout;
    const progress = await stderrProgress(client);
    for (const t of targets) if (t.doc) progress.begin(t.doc);
    const failFast = new AbortController();
    const results = await Promise.all(
      targets.map(async (t): Promise<TargetResult> => {
        const base: TargetResult = {
          id: t.id,
          name: t.doc?.name,
          operation: t.doc?.operation?.event ?? 'wait',
          outcome: 'done',
          exitCode: 0,
        };
        if (!t.doc) return errorResult(base, t.error);
        const r = await awaitOutcome(
          { client, deadline, onChange: progress.onChange, signal: failFast.signal },
          { id: t.id, goneIsDone: terminated, ...(terminated ? { events: COMPLETION_EVENTS.terminate } : {}) },
          base,
        );
        if (r.outcome === 'failed' && !failFast.signal.aborted) failFast.abort();
        progress.end(t.id, r.state ?? r.outcome);
        progress.view.around(() => this.out(`${resultLine(r)}\n`));
        return r;
      }),
    );
    await progress.stop();
    for (const r of results) for (const line of failureNotes(r)) this.note(`${r.id}: ${line.trimStart()}`);
    finish(results);
    return results;
  }
}
