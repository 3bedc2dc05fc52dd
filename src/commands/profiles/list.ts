import { BaseCommand } from '../../cli/base-command.js';
import { profileRows, type ProfileRow } from '../../cli/profiles.js';
import { loadProfileStore } from '../../shared/config.js';

export default class ProfilesList extends BaseCommand<typeof ProfilesList> {
  static override summary = 'List the stored profiles and the built-in local one; * marks the current profile';
  static override description =
    'Reads only the local config: no request is sent. Tokens are never shown, only whether one is stored.';

  static override hiddenAliases = ['profiles'];

  async run(): Promise<ProfileRow[]> {
    const rows = profileRows(loadProfileStore());
    await this.table(rows, [
      { header: '', get: (r) => (r.current ? '*' : '') },
      { header: 'NAME', get: (r) => r.name },
      { header: 'URL', get: (r) => r.url ?? '' },
      { header: 'WORKSPACE', get: (r) => r.workspace ?? '' },
      { header: 'TOKEN', get: (r) => r.token },
    ]);
    return rows;
  }
}
