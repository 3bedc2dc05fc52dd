import { readFileSync } from 'node:fs';
import { Args, Flags } from '@oclif/core';
import { BaseCommand } from '../../cli/base-command.js';
import { UsageError } from '../../cli/errors.js';
import { workspaceFlag } from '../../cli/flags.js';
import { PROVIDER_SCHEMAS } from '../../client/resources/providers.js';
import type { Provider } from '../../client/types.js';

export default class ProvidersCreate extends BaseCommand<typeof ProvidersCreate> {
  static override summary = 'Create a provider';
  static override description =
    'Type-specific settings go in --field KEY=VALUE; secrets (passwords, keys) in a JSON file passed with --secrets-file, never on the command line.';

  static override examples = [
    '<%= config.bin %> providers create sandbox --type "Test Provider"',
    '<%= config.bin %> providers create os --type Openstack -f identity_url=https://keystone:5000/v3 -f project=demo -f username=ops --secrets-file os.json',
    '<%= config.bin %> providers create lab --type SSH -f hosts=10.0.0.5,10.0.0.6:2222 -f username=deploy -f sudo=true -f fingerprints=10.0.0.5=SHA256:… --private-key-file ~/.ssh/id_ed25519',
  ];

  static override args = { name: Args.string({ description: 'provider name', required: true }) };
  static override flags = {
    type: Flags.string({
      description: 'provider type',
      options: Object.keys(PROVIDER_SCHEMAS),
      default: 'Test Provider',
    }),
    description: Flags.string({ description: 'description' }),
    field: Flags.string({ char: 'f', description: 'type-specific field KEY=VALUE (repeatable)', multiple: true }),
    'secrets-file': Flags.string({ description: 'JSON file of secret fields, e.g. {"password": "…"}' }),
    'private-key-file': Flags.string({ description: 'SSH providers: the private key file the hosts accept' }),
    workspace: workspaceFlag,
  };

  async run(): Promise<Provider> {
    const fields: Record<string, unknown> = {};
    for (const f of this.flags.field ?? []) {
      const eq = f.indexOf('=');
      if (eq <= 0) throw new UsageError(`--field ${f}: expected KEY=VALUE`);
      fields[f.slice(0, eq)] = f.slice(eq + 1);
    }
    if (this.flags['secrets-file']) {
      try {
        Object.assign(fields, JSON.parse(readFileSync(this.flags['secrets-file'], 'utf8')));
      } catch (err) {
        throw new UsageError(`--secrets-file: ${(err as Error).message}`);
      }
    }
    if (this.flags['private-key-file']) {
      try {
        fields.private_key = readFileSync(this.flags['private-key-file'], 'utf8');
      } catch (err) {
        throw new UsageError(`--private-key-file: ${(err as Error).message}`);
      }
    }
    const client = await this.client();
    const owner = await this.workspace(this.flags.workspace);
    const p = await client.providers.create({
      ...fields,
      name: this.args.name,
      type: this.flags.type,
      owner,
      ...(this.flags.description ? { description: this.flags.description } : {}),
    });
    this.out(`${p.id}\n`);
    this.note(`Created provider ${p.name} (${p.id}), state ${p.state}`);
    return p;
  }
}
