import { Args, Flags } from '@oclif/core';
import { BaseCommand } from '../../../cli/base-command.js';
import type { WorkspaceMember } from '../../../client/types.js';

export default class WorkspacesMembersAdd extends BaseCommand<typeof WorkspacesMembersAdd> {
  static override summary = 'Add a user to a team workspace (owner only)';
  static override description =
    'collaborator: may read and change the workspace’s boxes, instances and providers; read: may only read them.';

  static override args = {
    workspace: Args.string({ description: 'team workspace id', required: true }),
    username: Args.string({ description: 'user to add', required: true }),
  };

  static override flags = {
    role: Flags.string({
      description: 'role of the member',
      options: ['collaborator', 'read'],
      default: 'collaborator',
    }),
  };

  async run(): Promise<WorkspaceMember[]> {
    const { workspace, username } = this.args;
    const client = await this.client();
    const role = this.flags.role === 'read' ? 'read' : 'collaborator';
    const members = await client.workspaces.addMember(workspace, { workspace: username, role });
    this.note(`Added ${username} to ${workspace} as ${role}`);
    return members;
  }
}
