import { Args } from '@oclif/core';
import { BaseCommand } from '../../cli/base-command.js';
import type { RegisteredMachine } from '../../client/types.js';

export default class MachinesShow extends BaseCommand<typeof MachinesShow> {
  static override summary = 'Show one registered machine';
  static override args = { id: Args.string({ description: 'machine id (rm-…)', required: true }) };

  async run(): Promise<RegisteredMachine> {
    const client = await this.client();
    const m = await client.machines.retrieve(this.args.id);
    await this.fields([
      ['id', m.id],
      ['hostname', m.hostname],
      ['owner', m.owner],
      ['state', m.state],
      ['last seen', m.last_seen ?? 'never'],
      ['claims', m.claims],
      ['address', m.address],
      ['agent version', m.agent_version],
      ['instance', m.instance],
      ['enrolled', m.created],
    ]);
    return m;
  }
}
