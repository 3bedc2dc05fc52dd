import { BaseCommand } from '../../cli/base-command.js';
import { quietFlag, workspaceFlag } from '../../cli/flags.js';
import { machineColumns } from '../../cli/render/machines.js';
import type { RegisteredMachine } from '../../client/types.js';

export default class MachinesList extends BaseCommand<typeof MachinesList> {
  static override summary = 'List registered machines, online or offline, with when each was last seen';
  static override flags = { workspace: workspaceFlag, quiet: quietFlag };

  async run(): Promise<RegisteredMachine[]> {
    const client = await this.client();
    const rows = await client.machines.list(this.flags.workspace);
    await this.table(rows, machineColumns);
    return rows;
  }
}
