import { Args, Flags } from '@oclif/core';
import { BaseCommand } from '../../cli/base-command.js';
import type { Alert } from '../../client/resources/msa.js';

export default class AlertsSilence extends BaseCommand<typeof AlertsSilence> {
  static override summary = "Silence an alert's check on its machine for a while (no alert events until it expires)";
  static override args = { id: Args.string({ description: 'alert id', required: true }) };
  static override flags = {
    for: Flags.string({ description: 'how long (e.g. 30m, 2h)', default: '1h' }),
    reason: Flags.string({ description: 'why' }),
  };

  async run(): Promise<Alert> {
    const client = await this.client();
    const alert = await client.msa.silence(this.args.id, this.flags.for, this.flags.reason);
    this.note(`Silenced ${alert.check} on ${alert.instance} until ${String(alert.silenced_until)} UTC`);
    return alert;
  }
}
