import { Args } from '@oclif/core';
import { BaseCommand } from '../../cli/base-command.js';

export default class MachinesRemove extends BaseCommand<typeof MachinesRemove> {
  static override summary = 'Remove a registered machine: its credential stops working and its agent is disconnected';
  static override description =
    'Refused while an instance runs on the machine. The host keeps the installed agent; to enrol it again, run a new `machines register` command on it.';

  static override args = { id: Args.string({ description: 'machine id (rm-…)', required: true }) };

  async run(): Promise<{ id: string; removed: true }> {
    const client = await this.client();
    await client.machines.remove(this.args.id);
    this.note(`Removed machine ${this.args.id}`);
    return { id: this.args.id, removed: true };
  }
}
