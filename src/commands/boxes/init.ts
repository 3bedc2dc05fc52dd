import { Args, Flags } from '@oclif/core';
import { BaseCommand } from '../../cli/base-command.js';
import { folderFailure } from '../../cli/box-folder.js';
import { initBoxFolder } from '../../client/box-folder/index.js';

export default class BoxesInit extends BaseCommand<typeof BoxesInit> {
  static override summary = 'Create a new box folder to edit, validate and import';
  static override description =
    'Writes <boxes-path>/NAME/ with box.yaml (a new id, a GREETING variable), executable install, configure, start, stop and dispose scripts, and readme.MD.';
  static override examples = ['<%= config.bin %> boxes init "My Web" --boxes-path ./boxes'];
  static override args = { name: Args.string({ description: 'box name (also the folder name)', required: true }) };
  static override flags = {
    'boxes-path': Flags.string({ description: 'directory the box folder is created in', default: '.' }),
  };

  async run(): Promise<{ name: string; dir: string }> {
    const dir = await initBoxFolder(this.flags['boxes-path'], this.args.name).catch(folderFailure);
    this.out(`${dir}\n`);
    this.note(`Created box folder ${dir}; edit it, then \`ebcli boxes validate\` and \`ebcli boxes import\` it`);
    return { name: this.args.name, dir };
  }
}
