import { Flags } from '@oclif/core';
import { BaseCommand } from '../../cli/base-command.js';
import { workspaceFlag } from '../../cli/flags.js';
import { EventPrinter, streamConnection, streamHost } from '../../cli/follow.js';
import { drained } from '../../cli/stdio.js';
import { alertColumns } from '../../cli/render/monitoring.js';
import type { Alert } from '../../client/resources/msa.js';
import type { TailEvent } from '../../client/events.js';

/** The severity an alert change carries (acknowledgements and silences carry none). */
const severityOf = (e: TailEvent): string | undefined =>
  e.type === 'alert.open' || e.type === 'alert.update' || e.type === 'alert.resolve' ? e.data.severity : undefined;

export default class Alerts extends BaseCommand<typeof Alerts> {
  static override summary = 'List monitoring alerts (open ones unless told otherwise)';
  static override description =
    'Alerts also arrive live in `ebcli events -f` as alert.open, alert.update and alert.resolve; acknowledging or silencing one as alert.ack and alert.silence.';
  static override flags = {
    follow: Flags.boolean({ char: 'f', description: 'list, then stream alert events live (Ctrl-C stops)' }),
    state: Flags.string({ description: 'severity to show', options: ['warning', 'critical', 'unknown'] }),
    all: Flags.boolean({ description: 'resolved alerts too' }),
    instance: Flags.string({ char: 'i', description: 'only this instance (id)' }),
    workspace: workspaceFlag,
  };

  async run(): Promise<Alert[] | void> {
    const client = await this.client();
    // Following streams from the listing on: nothing that happens after it is missed.
    const listedAt = new Date();
    const rows = await client.msa.alerts({
      ...(this.flags.workspace ? { workspace: this.flags.workspace } : {}),
      ...(this.flags.instance ? { instance: this.flags.instance } : {}),
      ...(this.flags.state ? { severity: this.flags.state } : {}),
      state: this.flags.all ? 'all' : 'open',
    });
    if (!this.flags.follow) {
      await this.table(rows, alertColumns);
      return rows;
    }
    const host = streamHost(this.host(), () => this.settings(), await this.style());
    const printer = new EventPrinter(host);
    if (!this.jsonEnabled()) await this.table(rows, alertColumns);
    const { streamEvents } = await import('../../client/events.js');
    const stream = streamEvents({
      ...(await streamConnection(host)),
      ...(this.flags.workspace ? { workspace: this.flags.workspace } : {}),
      ...(this.flags.instance ? { instances: [this.flags.instance] } : {}),
      types: ['alert.open', 'alert.update', 'alert.resolve', 'alert.ack', 'alert.silence'],
      sinceTime: listedAt,
    });
    for await (const item of stream) {
      if (item.kind === 'event' && this.flags.state && severityOf(item.event) !== this.flags.state) continue;
      printer.item(item);
      await drained();
    }
  }
}
