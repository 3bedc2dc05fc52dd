import { Args } from '@oclif/core';
import { BaseCommand } from '../../../cli/base-command.js';
import { quietFlag } from '../../../cli/flags.js';
import { memberColumns } from '../../../cli/render/columns.js';
import type { WorkspaceMember } from '../../../client/types.js';

export default class WorkspacesMembersList extends BaseCommand<typeof WorkspacesMembersList> {
  static override summary = 'List the members of a workspace and their roles (owner first)';
  static override args = { workspace: Args.string({ description: 'workspace id', required: true }) };
  static override flags = { quiet: quietFlag };

  async run(): Promise<WorkspaceMember[]> {
    const client = await this.client();
    const rows = await client.workspaces.members(this.args.workspace);
    await this.table(rows, memberColumns);
    return rows;
  }
}
