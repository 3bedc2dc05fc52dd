import { Args } from '@oclif/core';
import { BaseCommand } from '../../../cli/base-command.js';

export default class WorkspacesMembersRemove extends BaseCommand<typeof WorkspacesMembersRemove> {
  static override summary = 'Remove a member from a team workspace (owner only): its access ends at once';
  static override args = {
    workspace: Args.string({ description: 'team workspace id', required: true }),
    username: Args.string({ description: 'member to remove', required: true }),
  };

  async run(): Promise<{ workspace: string; username: string; removed: true }> {
    const { workspace, username } = this.args;
    const client = await this.client();
    await client.workspaces.removeMember(workspace, username);
    this.note(`Removed ${username} from ${workspace}`);
    return { workspace, username, removed: true };
  }
}
