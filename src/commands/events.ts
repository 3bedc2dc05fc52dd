import { Flags } from '@oclif/core';
import { BaseCommand } from '../cli/base-command.js';
import { NotFoundCliError, UsageError } from '../cli/errors.js';
import { parseDuration, timeoutFlag, workspaceFlag } from '../cli/flags.js';
import { EventPrinter, streamConnection, streamHost } from '../cli/follow.js';
import { drained } from '../cli/stdio.js';
import type { EventFilterOptions } from '../client/events.js';

export default class Events extends BaseCommand<typeof Events> {
  static override summary = 'Print the workspace event stream; -f follows it live';
  static override description =
    'Without --follow, prints the history and exits. With --follow, tails over a websocket, reconnects by itself and resumes after the last event printed; if the server no longer has missed events it says so. Under --json, one event per line (NDJSON); a gap is a {"type":"resync"} line.';

  static override examples = [
    '<%= config.bin %> events -f',
    '<%= config.bin %> events --instance i-abc123 --since 10m',
    '<%= config.bin %> events -f --tag web --type script.output --json',
  ];

  static override flags = {
    follow: Flags.boolean({ char: 'f', description: 'keep streaming new events (Ctrl-C stops)' }),
    instance: Flags.string({
      char: 'i',
      description: 'only events of this instance, by id or name (repeatable)',
      multiple: true,
    }),
    tag: Flags.string({
      char: 't',
      description: 'only instances carrying this tag (repeatable; all must match)',
      multiple: true,
    }),
    type: Flags.string({ description: 'only events of this type, e.g. script.output (repeatable)', multiple: true }),
    since: Flags.string({ description: 'start after event SEQ, or DURATION ago (e.g. 10m, 2h)' }),
    lines: Flags.integer({
      char: 'n',
      description: 'without --since: start with the last N events',
      default: 20,
      min: 0,
    }),
    workspace: workspaceFlag,
    'connect-timeout': timeoutFlag(
      '30s',
      'with --follow: give up (exit 7) when the server cannot be reached this long after starting',
    ),
  };

  async run(): Promise<void> {
    const f = this.flags;
    const filter: EventFilterOptions = { workspace: f.workspace, instances: f.instance, tags: f.tag, types: f.type };
    if (f.since === undefined) filter.tail = f.lines;
    else if (/^\d+$/.test(f.since)) filter.since = Number(f.since);
    else {
      let ms: number;
      try {
        ms = parseDuration(f.since);
      } catch {
        throw new UsageError(`--since ${f.since}: expected an event number or a duration such as 10m`);
      }
      filter.sinceTime = new Date(Date.now() - ms);
    }
    if (f.instance?.length) {
      const { InstanceResolver } = await import('../cli/instance-refs.js');
      const resolved = await new InstanceResolver(await this.client(), f.workspace).resolveAll(f.instance);
      // The events of a deleted instance stay in the stream: an id no instance has any more still filters.
      filter.instances = resolved.map((r) => {
        if (r.error && !(r.error instanceof NotFoundCliError && r.ref.startsWith('i-'))) throw r.error;
        return r.id;
      });
    }
    const host = streamHost(this.host(), () => this.settings(), await this.style());
    const printer = new EventPrinter(host);
    if (f.follow) {
      const { streamEvents } = await import('../client/events.js');
      const stream = streamEvents({
        ...(await streamConnection(host)),
        ...filter,
        connectTimeoutMs: f['connect-timeout'],
      });
      for await (const item of stream) {
        printer.item(item);
        await drained();
      }
      return;
    }
    const { readEventPage } = await import('../client/events.js');
    const client = await this.client();
    let page = await readEventPage(client.http, filter);
    if (page.resync) printer.item({ kind: 'resync', resync: page.resync });
    const head = page.head;
    for (;;) {
      for (const e of page.events) printer.event(e);
      // A slow reader sets the pace: the history does not pile up in memory.
      await drained();
      const cursor = page.cursor;
      if (cursor >= head) break;
      page = await readEventPage(client.http, { ...filter, tail: undefined, sinceTime: undefined, since: cursor });
      if (page.cursor <= cursor) break;
    }
  }
}
