import { BaseCommand } from '../../cli/base-command.js';
import { followFlag, followInstanceOperation, streamHost } from '../../cli/follow.js';
import { operationArgs, operationFlags, operationInput, runInstanceOperation } from '../../cli/instance-ops.js';
import type { TargetResult } from '../../cli/operations.js';

export default class InstancesShutdown extends BaseCommand<typeof InstancesShutdown> {
  static override summary = 'Shut down instances (stop scripts, then power off)';
  static override hiddenAliases = ['shutdown'];
  static override strict = false;
  static override args = operationArgs;
  static override flags = { ...operationFlags(), follow: followFlag };
  static override examples = [
    '<%= config.bin %> instances shutdown i-abc123',
    '<%= config.bin %> instances shutdown --tag web --yes --concurrency 8',
  ];

  async run(): Promise<TargetResult[]> {
    const input = operationInput(this.flags, this.argvRest);
    if (!this.flags.follow) return runInstanceOperation(this.host(), 'shutdown', input);
    return followInstanceOperation(
      streamHost(this.host(), () => this.settings(), await this.style()),
      'shutdown',
      input,
    );
  }
}
