import { Flags } from '@oclif/core';
import { BaseCommand } from '../../cli/base-command.js';
import { quietFlag, tagFlag, workspaceFlag } from '../../cli/flags.js';
import { INSTANCE_STATES, instanceColumns, listInstances } from '../../cli/instances-list.js';
import { DEFAULT_INSTANCE_COLUMNS, instanceColumnSet } from '../../cli/render/columns.js';
import type { Instance } from '../../client/types.js';

export default class InstancesList extends BaseCommand<typeof InstancesList> {
  static override summary = 'List instances';
  static override description = `Every instance you can access, or those of one workspace. Columns: ${Object.keys(instanceColumnSet).join(', ')}.`;
  static override hiddenAliases = ['instances'];
  static override flags = {
    quiet: quietFlag,
    tag: tagFlag,
    state: Flags.string({
      description: 'only this state (done and unavailable are the CAM states of running/stopped and failed)',
      options: [...INSTANCE_STATES],
    }),
    workspace: workspaceFlag,
    columns: Flags.string({
      description: 'comma-separated columns to show',
      default: DEFAULT_INSTANCE_COLUMNS.join(','),
    }),
  };

  static override examples = [
    '<%= config.bin %> instances list -t web --state running',
    '<%= config.bin %> instances list --columns id,name,operation',
  ];

  async run(): Promise<Instance[]> {
    const columns = instanceColumns(this.flags.columns);
    const rows = await listInstances(await this.client(), this.flags);
    await this.table(rows, columns);
    return rows;
  }
}
