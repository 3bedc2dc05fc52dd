import { Args } from '@oclif/core';
import { BaseCommand } from '../../cli/base-command.js';

export default class BoxesDelete extends BaseCommand<typeof BoxesDelete> {
  static override summary = 'Delete a box';
  static override args = { id: Args.string({ description: 'box id', required: true }) };

  async run(): Promise<{ id: string; deleted: true }> {
    const client = await this.client();
    await client.boxes.delete(this.args.id);
    this.note(`Deleted box ${this.args.id}`);
    return { id: this.args.id, deleted: true };
  }
}
