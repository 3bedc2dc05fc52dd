import { Args, Flags } from '@oclif/core';
import { BaseCommand } from '../../cli/base-command.js';
import { readNewPassword } from '../../cli/password-input.js';
import type { OrgUser } from '../../client/types.js';

export default class UsersAdd extends BaseCommand<typeof UsersAdd> {
  static override summary = 'Add a user to the organization (admins only)';
  static override description =
    'Creates the user and its personal workspace. The initial password is read from stdin, a file or a hidden prompt, never from the command line.';

  static override examples = [
    '<%= config.bin %> users add alice --email alice@example.com --password-file pw.txt',
    'printf %s "$PW" | <%= config.bin %> users add bob --email bob@example.com --password-stdin',
  ];

  static override args = {
    username: Args.string({ description: 'username (also the personal workspace id)', required: true }),
  };

  static override flags = {
    email: Flags.string({ description: 'email address (used to log in)', required: true }),
    admin: Flags.boolean({ description: 'make the user an organization admin' }),
    'password-stdin': Flags.boolean({
      description: 'read the initial password from stdin',
      exclusive: ['password-file'],
    }),
    'password-file': Flags.string({ description: 'read the initial password from this file' }),
  };

  async run(): Promise<OrgUser> {
    const password = await readNewPassword(this.flags);
    const client = await this.client();
    const user = await client.users.create({
      username: this.args.username,
      email: this.flags.email,
      password,
      ...(this.flags.admin ? { is_admin: true } : {}),
    });
    this.out(`${user.id}\n`);
    this.note(`Added user ${user.id} (${user.email})${user.is_admin ? ' as an admin' : ''}`);
    return user;
  }
}
