import { Args, Flags } from '@oclif/core';
import { BaseCommand } from '../../../cli/base-command.js';
import type { WorkspaceMember } from '../../../client/types.js';

export default class WorkspacesMembersSet extends BaseCommand<typeof WorkspacesMembersSet> {
  static override summary = "Change a member's role in a team workspace (owner only): it applies at once";
  static override args = {
    workspace: Args.string({ description: 'team workspace id', required: true }),
    username: Args.string({ description: 'member', required: true }),
  };

  static override flags = {
    role: Flags.string({ description: 'new role', options: ['collaborator', 'read'], required: true }),
  };

  async run(): Promise<WorkspaceMember[]> {
    const { workspace, username } = this.args;
    const client = await this.client();
    const role = this.flags.role === 'read' ? 'read' : 'collaborator';
    const members = await client.workspaces.setMemberRole(workspace, username, role);
    this.note(`${username} is now ${role} in ${workspace}`);
    return members;
  }
}
