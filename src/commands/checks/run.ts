import { Args, Flags } from '@oclif/core';
import { BaseCommand } from '../../cli/base-command.js';
import { resolveInstance } from '../../cli/instance-refs.js';
import { workspaceFlag } from '../../cli/flags.js';

export default class ChecksRun extends BaseCommand<typeof ChecksRun> {
  static override summary = "Run an instance's checks now, on its machines' Watchers";
  static override description = 'Results arrive as usual: see `ebcli instances show` or `ebcli alerts -f`.';
  static override args = { instance: Args.string({ description: 'instance id or name', required: true }) };
  static override flags = {
    check: Flags.string({ char: 'c', description: 'only this check (name or id)' }),
    workspace: workspaceFlag,
  };

  async run(): Promise<{ instance: string; machines: string[]; checks: string[] }> {
    const client = await this.client();
    const instance = await resolveInstance(client, this.args.instance, this.flags.workspace);
    const asked = await client.msa.run(instance.id, this.flags.check);
    this.note(`Running ${asked.checks.join(', ')} on ${asked.machines.join(', ')}`);
    return asked;
  }
}
