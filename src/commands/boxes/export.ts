import { Args, Flags } from '@oclif/core';
import { BaseCommand } from '../../cli/base-command.js';
import { exportBoxTree, type WrittenFolder } from '../../client/box-folder/index.js';
import { boxExportApi } from '../../client/box-folder-api.js';

export default class BoxesExport extends BaseCommand<typeof BoxesExport> {
  static override summary = 'Export a box, and the boxes it nests, as box folders';
  static override description =
    'Writes <boxes-path>/<Box Name>/ (box.yaml, events/, files/, readme.MD, icon) for the box and, unless --no-recursive, every box it references through Box variables or application services.';
  static override examples = [
    '<%= config.bin %> boxes export 6f1c2a9e-4d3b-4c1e-9a57-0b8e2f1d7c44 --boxes-path ./boxes',
  ];
  static override args = { id: Args.string({ description: 'box or version id', required: true }) };
  static override flags = {
    'boxes-path': Flags.string({ description: 'directory the box folders are written in', default: '.' }),
    recursive: Flags.boolean({
      char: 'r',
      description: 'also export nested boxes (the default; -r is accepted for compatibility)',
      default: true,
      allowNo: true,
    }),
  };

  async run(): Promise<WrittenFolder[]> {
    const client = await this.client();
    const written = await exportBoxTree(boxExportApi(client), this.args.id, this.flags['boxes-path'], {
      recursive: this.flags.recursive,
    });
    for (const folder of written) this.out(`${folder.dir}\n`);
    this.note(`Exported ${written.length} box folder(s) into ${this.flags['boxes-path']}`);
    return written;
  }
}
