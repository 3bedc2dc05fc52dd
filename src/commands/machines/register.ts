import { readFileSync } from 'node:fs';
import { Flags } from '@oclif/core';
import { BaseCommand } from '../../cli/base-command.js';
import { parseDuration, workspaceFlag } from '../../cli/flags.js';
import { UsageError } from '../../cli/errors.js';
import { renderEnrollment, renderSshRegistration } from '../../cli/render/machines.js';
import type { Enrollment, RegisteredMachine } from '../../client/types.js';

export default class MachinesRegister extends BaseCommand<typeof MachinesRegister> {
  static override summary = 'Mint a one-time enrollment token and print the command that installs an agent with it';
  static override description =
    'Run the printed command on a Linux host with Node.js 18 or later: it downloads the agent from this control plane, checks its sha256, installs it (as root: an ebcli user and a systemd unit) and starts it; the agent trades the token, once, for its own machine credential. The token expires unused after --expires.\n\nWith --ssh user@host[:port] and --key FILE, the control plane does it itself over ssh (the host must reach the control plane; the key is sent to it in the request, used once and not kept) and answers once the agent has enrolled; the host key must match --host-fingerprint, unless --trust-on-first-use.';

  static override examples = [
    '<%= config.bin %> machines register',
    '<%= config.bin %> machines register --claims linux,web --expires 30m',
    '<%= config.bin %> machines register --ssh deploy@10.0.0.5 --key ~/.ssh/id_ed25519 --host-fingerprint SHA256:… --claims linux',
  ];

  static override flags = {
    claims: Flags.string({ char: 'c', description: 'claims the machine serves, comma separated (e.g. linux,web)' }),
    expires: Flags.string({ description: 'how long the token stays valid (e.g. 30m, 1h; 1m … 720h)', default: '1h' }),
    ssh: Flags.string({ description: 'register this host over ssh: user@host[:port]', dependsOn: ['key'] }),
    key: Flags.string({ description: 'with --ssh: the private key file the host accepts', dependsOn: ['ssh'] }),
    'host-fingerprint': Flags.string({
      description: "with --ssh: the host key's SHA256:… fingerprint (ssh-keygen -lf)",
    }),
    'trust-on-first-use': Flags.boolean({ description: 'with --ssh: accept the host key it shows now' }),
    sudo: Flags.boolean({ description: 'with --ssh: install as root with sudo -n (systemd unit where systemd runs)' }),
    workspace: workspaceFlag,
  };

  async run(): Promise<(Omit<Enrollment, 'token'> & { token: string }) | RegisteredMachine> {
    const claims = this.flags.claims
      ?.split(',')
      .map((c) => c.trim())
      .filter(Boolean);
    if (this.flags.ssh) return this.overSsh(this.flags.ssh, claims);
    const ms = parseDuration(this.flags.expires);
    const seconds = Math.round(ms / 1000);
    if (seconds < 60 || seconds > 720 * 3600) throw new UsageError('--expires must be between 1m and 720h');
    const client = await this.client();
    const owner = this.flags.workspace ? await this.workspace(this.flags.workspace) : undefined;
    const enrollment = await client.machines.register({ owner, claims, expiresInSeconds: seconds });
    this.out(renderEnrollment(enrollment));
    return enrollment;
  }

  private async overSsh(target: string, claims: string[] | undefined): Promise<RegisteredMachine> {
    const at = target.lastIndexOf('@');
    if (at <= 0 || at === target.length - 1) throw new UsageError('--ssh: expected user@host[:port]');
    if (!this.flags['host-fingerprint'] && !this.flags['trust-on-first-use']) {
      throw new UsageError(
        '--ssh needs --host-fingerprint SHA256:… (ssh-keygen -lf on the host) or --trust-on-first-use',
      );
    }
    let privateKey: string;
    try {
      privateKey = readFileSync(this.flags.key as string, 'utf8');
    } catch (err) {
      throw new UsageError(`--key: ${(err as Error).message}`);
    }
    const client = await this.client();
    const owner = this.flags.workspace ? await this.workspace(this.flags.workspace) : undefined;
    const machine = await client.machines.registerOverSsh({
      host: target.slice(at + 1),
      username: target.slice(0, at),
      privateKey,
      fingerprint: this.flags['host-fingerprint'],
      trustOnFirstUse: this.flags['trust-on-first-use'],
      sudo: this.flags.sudo,
      claims,
      owner,
    });
    this.out(renderSshRegistration(machine));
    return machine;
  }
}
