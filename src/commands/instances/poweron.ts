import { BaseCommand } from '../../cli/base-command.js';
import { followFlag, followInstanceOperation, streamHost } from '../../cli/follow.js';
import { operationArgs, operationFlags, operationInput, runInstanceOperation } from '../../cli/instance-ops.js';
import type { TargetResult } from '../../cli/operations.js';

export default class InstancesPoweron extends BaseCommand<typeof InstancesPoweron> {
  static override summary = 'Power on instances (boot, configure, start)';
  static override hiddenAliases = ['poweron'];
  static override strict = false;
  static override args = operationArgs;
  static override flags = { ...operationFlags(), follow: followFlag };
  static override examples = [
    '<%= config.bin %> instances poweron i-abc123',
    '<%= config.bin %> instances poweron --tag web --yes --concurrency 8',
  ];

  async run(): Promise<TargetResult[]> {
    const input = operationInput(this.flags, this.argvRest);
    if (!this.flags.follow) return runInstanceOperation(this.host(), 'poweron', input);
    return followInstanceOperation(
      streamHost(this.host(), () => this.settings(), await this.style()),
      'poweron',
      input,
    );
  }
}
