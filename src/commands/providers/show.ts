import { Args } from '@oclif/core';
import { BaseCommand } from '../../cli/base-command.js';
import type { Provider } from '../../client/types.js';

export default class ProvidersShow extends BaseCommand<typeof ProvidersShow> {
  static override summary = 'Show one provider';
  static override args = { id: Args.string({ description: 'provider id', required: true }) };

  async run(): Promise<Provider> {
    const client = await this.client();
    const p = await client.providers.retrieve(this.args.id);
    const services = (p.services as { name?: string }[] | undefined) ?? [];
    await this.fields([
      ['id', p.id],
      ['name', p.name],
      ['type', p.type],
      ['owner', p.owner],
      ['state', p.state],
      ['description', p.description],
      ['services', services.map((s) => s.name)],
      ['updated', p.updated],
    ]);
    return p;
  }
}
