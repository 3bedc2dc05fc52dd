import { Args } from '@oclif/core';
import { BaseCommand } from '../../cli/base-command.js';

export default class ChecksDelete extends BaseCommand<typeof ChecksDelete> {
  static override summary = 'Delete a monitoring check (its alerts stay as history)';
  static override args = { check: Args.string({ description: 'check name or id', required: true }) };

  async run(): Promise<{ check: string; deleted: true }> {
    const client = await this.client();
    await client.msa.deleteCheck(this.args.check);
    this.note(`Deleted check ${this.args.check}`);
    return { check: this.args.check, deleted: true };
  }
}
