import { Flags } from '@oclif/core';
import { BaseCommand } from '../../cli/base-command.js';
import { parseDuration, workspaceFlag } from '../../cli/flags.js';
import { UsageError } from '../../cli/errors.js';
import { renderEnrollment } from '../../cli/render/machines.js';
import type { Enrollment } from '../../client/types.js';

export default class MachinesRegister extends BaseCommand<typeof MachinesRegister> {
  static override summary = 'Mint a one-time enrollment token and print the command that installs an agent with it';
  static override description =
    'Run the printed command on a Linux host with Node.js 18 or later: it downloads the agent from this control plane, checks its sha256, installs it (as root: an ebcli user and a systemd unit) and starts it; the agent trades the token, once, for its own machine credential. The token expires unused after --expires.';

  static override examples = [
    '<%= config.bin %> machines register',
    '<%= config.bin %> machines register --claims linux,web --expires 30m',
  ];

  static override flags = {
    claims: Flags.string({ char: 'c', description: 'claims the machine serves, comma separated (e.g. linux,web)' }),
    expires: Flags.string({ description: 'how long the token stays valid (e.g. 30m, 1h; 1m … 720h)', default: '1h' }),
    workspace: workspaceFlag,
  };

  async run(): Promise<Omit<Enrollment, 'token'> & { token: string }> {
    const ms = parseDuration(this.flags.expires);
    const seconds = Math.round(ms / 1000);
    if (seconds < 60 || seconds > 720 * 3600) throw new UsageError('--expires must be between 1m and 720h');
    const claims = this.flags.claims
      ?.split(',')
      .map((c) => c.trim())
      .filter(Boolean);
    const client = await this.client();
    const owner = this.flags.workspace ? await this.workspace(this.flags.workspace) : undefined;
    const enrollment = await client.machines.register({ owner, claims, expiresInSeconds: seconds });
    this.out(renderEnrollment(enrollment));
    return enrollment;
  }
}
