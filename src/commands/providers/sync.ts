import { Args } from '@oclif/core';
import { BaseCommand } from '../../cli/base-command.js';

export default class ProvidersSync extends BaseCommand<typeof ProvidersSync> {
  static override summary = 'Refresh a provider (images, networks and other metadata)';
  static override args = { id: Args.string({ description: 'provider id', required: true }) };

  async run(): Promise<{ id: string; state?: string }> {
    const client = await this.client();
    const res = await client.providers.sync(this.args.id);
    const state = res?.state;
    this.note(`Sync of provider ${this.args.id} started${state ? ` (state ${state})` : ''}`);
    return { id: this.args.id, ...(state ? { state } : {}) };
  }
}
