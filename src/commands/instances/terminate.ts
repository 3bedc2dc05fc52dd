import { Flags } from '@oclif/core';
import { BaseCommand } from '../../cli/base-command.js';
import { followFlag, followInstanceOperation, streamHost } from '../../cli/follow.js';
import { operationArgs, operationFlags, operationInput, runInstanceOperation } from '../../cli/instance-ops.js';
import type { TargetResult } from '../../cli/operations.js';

export default class InstancesTerminate extends BaseCommand<typeof InstancesTerminate> {
  static override summary = 'Terminate instances (dispose scripts, then destroy the machines)';
  static override description =
    'With --force the scripts are skipped (force_terminate): use it when a terminate failed or the machine is gone.';
  static override hiddenAliases = ['terminate'];
  static override strict = false;
  static override args = operationArgs;
  static override flags = {
    ...operationFlags(),
    follow: followFlag,
    force: Flags.boolean({ description: 'force_terminate: destroy the infrastructure without running scripts' }),
  };

  static override examples = [
    '<%= config.bin %> instances terminate i-abc123 --yes',
    '<%= config.bin %> terminate --tag ci --force --yes',
  ];

  async run(): Promise<TargetResult[]> {
    const op = this.flags.force ? 'force_terminate' : 'terminate';
    const input = operationInput(this.flags, this.argvRest);
    if (!this.flags.follow) return runInstanceOperation(this.host(), op, input);
    return followInstanceOperation(
      streamHost(this.host(), () => this.settings(), await this.style()),
      op,
      input,
    );
  }
}
