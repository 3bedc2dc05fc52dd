import { Args, Flags } from '@oclif/core';
import { BaseCommand } from '../../cli/base-command.js';
import { UsageError } from '../../cli/errors.js';
import type { Workspace } from '../../client/types.js';

export default class WorkspacesCreate extends BaseCommand<typeof WorkspacesCreate> {
  static override summary = 'Create a team workspace';
  static override args = { name: Args.string({ description: 'workspace name', required: true }) };
  static override flags = {
    member: Flags.string({
      description: 'add a member as WORKSPACE[:read|collaborator] (repeatable)',
      multiple: true,
    }),
  };

  async run(): Promise<Workspace> {
    const client = await this.client();
    const members = (this.flags.member ?? []).map((m) => {
      const [workspace = '', role = 'collaborator'] = m.split(':');
      if (role !== 'read' && role !== 'collaborator') {
        throw new UsageError(`--member ${m}: unknown role ${role} (use read or collaborator)`);
      }
      return { workspace, role: role as 'read' | 'collaborator' };
    });
    const ws = await client.workspaces.create({ name: this.args.name, ...(members.length ? { members } : {}) });
    this.out(`${ws.id}\n`);
    this.note(`Created workspace ${ws.name} (${ws.id})`);
    return ws;
  }
}
