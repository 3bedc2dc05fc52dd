import { BaseCommand } from '../../cli/base-command.js';
import { quietFlag } from '../../cli/flags.js';
import { workspaceColumns } from '../../cli/render/columns.js';
import type { Workspace } from '../../client/types.js';

export default class WorkspacesList extends BaseCommand<typeof WorkspacesList> {
  static override summary = 'List the workspaces you can access (personal first)';
  static override hiddenAliases = ['workspaces'];
  static override flags = { quiet: quietFlag };

  async run(): Promise<Workspace[]> {
    const client = await this.client();
    const rows = await client.workspaces.list();
    await this.table(rows, workspaceColumns);
    return rows;
  }
}
