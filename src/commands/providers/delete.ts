import { Args } from '@oclif/core';
import { BaseCommand } from '../../cli/base-command.js';

export default class ProvidersDelete extends BaseCommand<typeof ProvidersDelete> {
  static override summary = 'Delete a provider (refused while instances use it)';
  static override args = { id: Args.string({ description: 'provider id', required: true }) };

  async run(): Promise<{ id: string; deleted: true }> {
    const client = await this.client();
    await client.providers.delete(this.args.id);
    this.note(`Deleting provider ${this.args.id}`);
    return { id: this.args.id, deleted: true };
  }
}
