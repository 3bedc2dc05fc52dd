import { BaseCommand } from '../../cli/base-command.js';
import { workspaceFlag } from '../../cli/flags.js';
import { checkColumns } from '../../cli/render/monitoring.js';
import type { Check } from '../../client/resources/msa.js';

export default class ChecksList extends BaseCommand<typeof ChecksList> {
  static override summary = 'List monitoring checks';
  static override flags = { workspace: workspaceFlag };

  async run(): Promise<Check[]> {
    const client = await this.client();
    const rows = await client.msa.checks(this.flags.workspace);
    await this.table(rows, checkColumns);
    return rows;
  }
}
