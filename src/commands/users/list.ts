import { BaseCommand } from '../../cli/base-command.js';
import { quietFlag } from '../../cli/flags.js';
import { userColumns } from '../../cli/render/columns.js';
import type { OrgUser } from '../../client/types.js';

export default class UsersList extends BaseCommand<typeof UsersList> {
  static override summary = "List the organization's users (admins only)";
  static override hiddenAliases = ['users'];
  static override flags = { quiet: quietFlag };

  async run(): Promise<OrgUser[]> {
    const client = await this.client();
    const rows = await client.users.list();
    await this.table(rows, userColumns);
    return rows;
  }
}
