import { Args, Flags } from '@oclif/core';
import { BaseCommand } from '../../cli/base-command.js';
import { checkBody } from '../../cli/check-spec.js';
import { workspaceFlag } from '../../cli/flags.js';
import type { Check } from '../../client/resources/msa.js';

export default class ChecksCreate extends BaseCommand<typeof ChecksCreate> {
  static override summary = 'Create a monitoring check that the Watchers of matching machines run';
  static override examples = [
    '<%= config.bin %> checks create web-up --command "curl -fsS localhost:80 >/dev/null" --interval 10s --tag web',
    '<%= config.bin %> checks create disk-root --builtin disk --param mount=/ --warning 80 --critical 90',
  ];
  static override args = { name: Args.string({ description: 'check name', required: true }) };
  static override flags = {
    command: Flags.string({ description: 'shell command following the Nagios plugin convention' }),
    builtin: Flags.string({
      description: 'built-in check',
      options: ['cpu', 'memory', 'disk', 'load', 'process', 'tcp', 'http'],
    }),
    param: Flags.string({ char: 'p', description: 'built-in parameter KEY=VALUE (repeatable)', multiple: true }),
    interval: Flags.string({ description: 'how often it runs', default: '60s' }),
    timeout: Flags.string({ description: 'kill it (and its children) after this long' }),
    warning: Flags.string({ description: 'built-ins: value at which the check turns WARNING' }),
    critical: Flags.string({ description: 'built-ins: value at which the check turns CRITICAL' }),
    format: Flags.string({
      description: 'metrics format of the output',
      options: ['nagios_perfdata', 'prometheus_text', 'graphite_plaintext'],
    }),
    tag: Flags.string({
      char: 't',
      description: 'run on instances with this tag (repeatable: all of them)',
      multiple: true,
    }),
    box: Flags.string({ description: 'run on instances of this box' }),
    workspace: workspaceFlag,
  };

  async run(): Promise<Check> {
    const body = checkBody(this.args.name, this.flags);
    const client = await this.client();
    const check = await client.msa.createCheck(body);
    this.out(`${check.id}\n`);
    return check;
  }
}
