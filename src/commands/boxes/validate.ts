import { Args } from '@oclif/core';
import { BaseCommand } from '../../cli/base-command.js';
import { problemColumns } from '../../cli/box-folder.js';
import { OperationFailedError } from '../../cli/errors.js';
import { validateBoxFolder, type Problem } from '../../client/box-folder/index.js';

export default class BoxesValidate extends BaseCommand<typeof BoxesValidate> {
  static override summary = 'Check a box folder (and the box folders it references) without importing it';
  static override description =
    'Lists every problem: YAML syntax, unknown keys, variable rules, event names, paths that leave the folder, sizes. Exits 1 when there is an error; warnings (such as scripts that are not executable) do not fail.';
  static override examples = ['<%= config.bin %> boxes validate "examples/boxes/Hello Web"'];
  static override args = { dir: Args.string({ description: 'box folder', required: true }) };

  async run(): Promise<{ dir: string; valid: true; problems: Problem[] }> {
    const { dir } = this.args;
    const problems = await validateBoxFolder(dir);
    await this.table(problems, problemColumns);
    const errors = problems.filter((p) => p.severity === 'error').length;
    if (errors > 0) throw new OperationFailedError(`${dir} is not a valid box folder: ${errors} error(s)`, problems);
    const warnings = problems.length ? ` (${problems.length} warning(s))` : '';
    this.note(`${dir} is a valid box folder${warnings}`);
    return { dir, valid: true, problems };
  }
}
