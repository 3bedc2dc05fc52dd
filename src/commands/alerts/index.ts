import { Flags } from '@oclif/core';
import { BaseCommand } from '../../cli/base-command.js';
import { workspaceFlag } from '../../cli/flags.js';
import { alertColumns } from '../../cli/render/monitoring.js';
import type { Alert } from '../../client/resources/msa.js';

export default class Alerts extends BaseCommand<typeof Alerts> {
  static override summary = 'List monitoring alerts (open ones unless told otherwise)';
  static override description =
    'Alerts also arrive live in `ebcli events -f` as alert.open, alert.update and alert.resolve.';
  static override flags = {
    state: Flags.string({ description: 'severity to show', options: ['warning', 'critical', 'unknown'] }),
    all: Flags.boolean({ description: 'resolved alerts too' }),
    instance: Flags.string({ char: 'i', description: 'only this instance (id)' }),
    workspace: workspaceFlag,
  };

  async run(): Promise<Alert[]> {
    const client = await this.client();
    const rows = await client.msa.alerts({
      ...(this.flags.workspace ? { workspace: this.flags.workspace } : {}),
      ...(this.flags.instance ? { instance: this.flags.instance } : {}),
      ...(this.flags.state ? { severity: this.flags.state } : {}),
      state: this.flags.all ? 'all' : 'open',
    });
    await this.table(rows, alertColumns);
    return rows;
  }
}
