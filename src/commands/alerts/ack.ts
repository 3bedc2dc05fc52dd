import { Args } from '@oclif/core';
import { BaseCommand } from '../../cli/base-command.js';
import type { Alert } from '../../client/resources/msa.js';

export default class AlertsAck extends BaseCommand<typeof AlertsAck> {
  static override summary = 'Acknowledge an open alert';
  static override args = { id: Args.string({ description: 'alert id', required: true }) };

  async run(): Promise<Alert> {
    const client = await this.client();
    const alert = await client.msa.ack(this.args.id);
    this.note(`Acknowledged alert ${alert.id} (${alert.check} on ${alert.instance})`);
    return alert;
  }
}
