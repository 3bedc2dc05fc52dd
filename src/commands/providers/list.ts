import { BaseCommand } from '../../cli/base-command.js';
import { quietFlag, workspaceFlag } from '../../cli/flags.js';
import { providerColumns } from '../../cli/render/columns.js';
import type { Provider } from '../../client/types.js';

export default class ProvidersList extends BaseCommand<typeof ProvidersList> {
  static override summary = 'List providers';
  static override flags = { workspace: workspaceFlag, quiet: quietFlag };

  async run(): Promise<Provider[]> {
    const client = await this.client();
    const rows = this.flags.workspace
      ? await client.workspaces.providers(this.flags.workspace)
      : await client.providers.list();
    await this.table(rows, providerColumns);
    return rows;
  }
}
