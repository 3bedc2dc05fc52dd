import { BaseCommand } from '../../cli/base-command.js';
import { operationArgs, operationFlags, operationInput, runInstanceOperation } from '../../cli/instance-ops.js';
import type { TargetResult } from '../../cli/operations.js';

export default class InstancesReconfigure extends BaseCommand<typeof InstancesReconfigure> {
  static override summary = 'Reconfigure instances (runs the configure scripts)';
  static override hiddenAliases = ['reconfigure'];
  static override strict = false;
  static override args = operationArgs;
  static override flags = operationFlags();
  static override examples = [
    '<%= config.bin %> instances reconfigure i-abc123',
    '<%= config.bin %> instances reconfigure --tag web --yes --concurrency 8',
  ];

  async run(): Promise<TargetResult[]> {
    return runInstanceOperation(this.host(), 'reconfigure', operationInput(this.flags, this.argvRest));
  }
}
