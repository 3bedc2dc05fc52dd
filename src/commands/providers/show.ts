import { Args } from '@oclif/core';
import { BaseCommand } from '../../cli/base-command.js';
import type { Provider } from '../../client/types.js';

/** An SSH provider's hosts, user and host keys (its private key is never served). */
const sshFields = (p: Provider): [string, unknown][] => [
  ['hosts', p.hosts],
  ['username', p.username],
  ['sudo', p.sudo === true ? 'yes' : 'no'],
  [
    'fingerprints',
    Object.entries((p.fingerprints as Record<string, string> | undefined) ?? {}).map((e) => e.join(' ')),
  ],
  ['trust on first use', p.trust_on_first_use === true ? 'yes' : 'no'],
];

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
      ...(p.type === 'SSH' ? sshFields(p) : []),
      ['updated', p.updated],
    ]);
    return p;
  }
}
