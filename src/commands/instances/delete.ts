import { BaseCommand } from '../../cli/base-command.js';
import { operationArgs, operationFlags, operationInput, runInstanceOperation } from '../../cli/instance-ops.js';
import type { TargetResult } from '../../cli/operations.js';

export default class InstancesDelete extends BaseCommand<typeof InstancesDelete> {
  static override summary = 'Delete the records of terminated instances';
  static override hiddenAliases = ['delete'];
  static override strict = false;
  static override args = operationArgs;
  static override flags = operationFlags();
  static override examples = [
    '<%= config.bin %> instances delete i-abc123',
    '<%= config.bin %> instances delete --tag web --yes --concurrency 8',
  ];

  async run(): Promise<TargetResult[]> {
    return runInstanceOperation(this.host(), 'delete', operationInput(this.flags, this.argvRest));
  }
}
