import { Args, Flags } from '@oclif/core';
import { BaseCommand } from '../../cli/base-command.js';
import { timeoutFlag, workspaceFlag, variableOverrides } from '../../cli/flags.js';
import { setVariables } from '../../cli/instance-change-ops.js';
import { resolveInstance } from '../../cli/instance-refs.js';
import { finish, resultLine, type TargetResult } from '../../cli/operations.js';
import type { Instance } from '../../client/types.js';
import { displayState } from '../../client/wait.js';

export default class InstancesSet extends BaseCommand<typeof InstancesSet> {
  static override summary = 'Set variables of an instance, then reconfigure it';
  static override description =
    'Updates the instance variables (PUT /services/instances/{id}) and runs the configure scripts, unless --no-reconfigure. Values equal to the current ones change nothing.';
  static override examples = [
    '<%= config.bin %> instances set web -v GREETING=hi',
    '<%= config.bin %> instances set i-abc123 -v monitoring.API_KEY=abc --no-reconfigure',
  ];
  static override args = { ref: Args.string({ description: 'instance id or name', required: true }) };
  static override flags = {
    variable: Flags.string({
      char: 'v',
      description: 'NAME=VALUE or scope.NAME=VALUE (repeatable)',
      multiple: true,
      required: true,
    }),
    reconfigure: Flags.boolean({ description: 'reconfigure after setting', default: true, allowNo: true }),
    wait: Flags.boolean({ description: 'wait for the reconfigure to finish', default: true, allowNo: true }),
    timeout: timeoutFlag('30m'),
    workspace: workspaceFlag,
  };

  async run(): Promise<TargetResult> {
    const overrides = variableOverrides(this.flags.variable);
    const client = await this.client();
    const doc = await resolveInstance(client, this.args.ref, this.flags.workspace);
    const r = await setVariables(client, doc, overrides, {
      reconfigure: this.flags.reconfigure,
      wait: this.flags.wait,
      deadline: Date.now() + this.flags.timeout,
      onChange: (i: Instance) => this.note(`${i.id}  ${displayState(i)}  (${i.operation?.event})`),
    });
    this.out(`${resultLine(r)}\n`);
    for (const line of r.activity ?? []) this.note(`  ${line}`);
    finish([r]);
    return r;
  }
}
