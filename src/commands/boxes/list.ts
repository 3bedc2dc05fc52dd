import { Flags } from '@oclif/core';
import { BaseCommand } from '../../cli/base-command.js';
import { quietFlag, workspaceFlag } from '../../cli/flags.js';
import { boxColumns } from '../../cli/render/columns.js';
import type { Box } from '../../client/types.js';

export default class BoxesList extends BaseCommand<typeof BoxesList> {
  static override summary = 'List boxes';
  static override description = 'Every box you can access, or the boxes of one workspace with --workspace.';
  static override hiddenAliases = ['boxes'];
  static override flags = {
    quiet: quietFlag,
    workspace: workspaceFlag,
    requirement: Flags.string({
      char: 'r',
      description: 'only boxes whose requirements include all of these (repeatable)',
      multiple: true,
    }),
  };

  async run(): Promise<Box[]> {
    const client = await this.client();
    const boxes = this.flags.workspace
      ? await client.workspaces.boxes(this.flags.workspace)
      : await client.boxes.list();
    const wanted = this.flags.requirement ?? [];
    const rows = boxes.filter((b) => wanted.every((r) => (b.requirements ?? b.claims ?? []).includes(r)));
    await this.table(rows, boxColumns);
    return rows;
  }
}
