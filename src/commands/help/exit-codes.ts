import { BaseCommand } from '../../cli/base-command.js';
import { EXIT_CODE_TABLE } from '../../cli/exit-codes.js';

export default class HelpExitCodes extends BaseCommand<typeof HelpExitCodes> {
  static override summary = 'Explain the exit codes of every ebcli command';
  static override hiddenAliases = ['exit-codes'];

  async run(): Promise<typeof EXIT_CODE_TABLE> {
    await this.table(
      [...EXIT_CODE_TABLE],
      [
        { header: 'CODE', get: (r) => r.code },
        { header: 'NAME', get: (r) => r.name },
        { header: 'MEANING', get: (r) => r.meaning },
      ],
    );
    return EXIT_CODE_TABLE;
  }
}
