import { BaseCommand } from '../../cli/base-command.js';
import { followFlag, followInstanceOperation, streamHost } from '../../cli/follow.js';
import { operationArgs, operationFlags, operationInput, runInstanceOperation } from '../../cli/instance-ops.js';
import type { TargetResult } from '../../cli/operations.js';

export default class InstancesReconfigure extends BaseCommand<typeof InstancesReconfigure> {
  static override summary = 'Reconfigure instances (runs the configure scripts)';
  static override hiddenAliases = ['reconfigure'];
  static override strict = false;
  static override args = operationArgs;
  static override flags = { ...operationFlags(), follow: followFlag };
  static override examples = [
    '<%= config.bin %> instances reconfigure i-abc123',
    '<%= config.bin %> reconfigure i-abc123 --follow',
    '<%= config.bin %> instances reconfigure --tag web --yes --concurrency 8',
  ];

  async run(): Promise<TargetResult[]> {
    const input = operationInput(this.flags, this.argvRest);
    if (!this.flags.follow) return runInstanceOperation(this.host(), 'reconfigure', input);
    return followInstanceOperation(
      streamHost(this.host(), () => this.settings(), await this.style()),
      'reconfigure',
      input,
    );
  }
}
