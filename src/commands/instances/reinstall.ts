import { BaseCommand } from '../../cli/base-command.js';
import { followFlag, followInstanceOperation, streamHost } from '../../cli/follow.js';
import { operationArgs, operationFlags, operationInput, runInstanceOperation } from '../../cli/instance-ops.js';
import type { TargetResult } from '../../cli/operations.js';

export default class InstancesReinstall extends BaseCommand<typeof InstancesReinstall> {
  static override summary = 'Reinstall instances (install and configure scripts)';
  static override hiddenAliases = ['reinstall'];
  static override strict = false;
  static override args = operationArgs;
  static override flags = { ...operationFlags(), follow: followFlag };
  static override examples = [
    '<%= config.bin %> instances reinstall i-abc123',
    '<%= config.bin %> instances reinstall --tag web --yes --concurrency 8',
  ];

  async run(): Promise<TargetResult[]> {
    const input = operationInput(this.flags, this.argvRest);
    if (!this.flags.follow) return runInstanceOperation(this.host(), 'reinstall', input);
    return followInstanceOperation(
      streamHost(this.host(), () => this.settings(), await this.style()),
      'reinstall',
      input,
    );
  }
}
