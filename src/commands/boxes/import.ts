import { Args, Flags } from '@oclif/core';
import { BaseCommand } from '../../cli/base-command.js';
import { folderFailure, importedColumns } from '../../cli/box-folder.js';
import { workspaceFlag } from '../../cli/flags.js';
import { importBoxTree, readBoxFolder, type ImportResult } from '../../client/box-folder/index.js';
import { boxImportApi } from '../../client/box-folder-api.js';

export default class BoxesImport extends BaseCommand<typeof BoxesImport> {
  static override summary = 'Import a box folder, with the box folders it references';
  static override description =
    'DIR is <boxes-path>/<Box Name> in the CAM export format. Boxes named by Box and Binding variables in sibling folders are imported first. Each box is found by its box.yaml id, else by name in the workspace, else created; an existing box gets a new version unless --as-draft.';
  static override examples = ['<%= config.bin %> boxes import "examples/boxes/Nested Parent" -m "first import"'];
  static override args = { dir: Args.string({ description: 'box folder', required: true }) };
  static override flags = {
    workspace: workspaceFlag,
    comment: Flags.string({ char: 'm', description: 'description of the versions created' }),
    'as-draft': Flags.boolean({ description: 'update the drafts only; create no versions' }),
  };

  async run(): Promise<ImportResult> {
    // An invalid folder fails before the control plane is contacted (or started).
    await readBoxFolder(this.args.dir).catch(folderFailure);
    const client = await this.client();
    const workspace = await this.workspace(this.flags.workspace);
    const result = await importBoxTree(boxImportApi(client), this.args.dir, {
      workspace,
      asDraft: this.flags['as-draft'],
      ...(this.flags.comment ? { comment: this.flags.comment } : {}),
    }).catch(folderFailure);
    await this.table(result.boxes, importedColumns);
    this.note(`Imported ${this.args.dir} as box ${result.id} in workspace ${workspace}`);
    return result;
  }
}
