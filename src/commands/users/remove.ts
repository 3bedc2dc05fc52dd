import { Args } from '@oclif/core';
import { BaseCommand } from '../../cli/base-command.js';
import { CliError } from '../../cli/errors.js';
import { ExitCode } from '../../cli/exit-codes.js';
import { yesFlag } from '../../cli/flags.js';
import { confirmOrYes } from '../../cli/input.js';

export default class UsersRemove extends BaseCommand<typeof UsersRemove> {
  static override summary = 'Remove a user (admins only): its tokens stop working at once';
  static override description =
    'Refused while the user owns team workspaces or its personal workspace still holds boxes, instances or providers. The user leaves every workspace it was a member of.';

  static override args = { username: Args.string({ description: 'username', required: true }) };
  static override flags = { yes: yesFlag };

  async run(): Promise<{ username: string; removed: true }> {
    const { username } = this.args;
    if (!(await confirmOrYes(`Remove user ${username} and revoke its tokens?`, this.flags.yes))) {
      throw new CliError('cancelled: nothing was changed', ExitCode.Failed, 'cancelled');
    }
    const client = await this.client();
    await client.users.delete(username);
    this.note(`Removed user ${username}`);
    return { username, removed: true };
  }
}
