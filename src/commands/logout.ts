import { BaseCommand } from '../cli/base-command.js';
import { loadProfileStore, LOCAL_PROFILE, saveProfiles } from '../shared/config.js';

export default class Logout extends BaseCommand<typeof Logout> {
  static override summary = 'Remove the stored credentials of a profile';

  async run(): Promise<{ profile: string; removed: boolean }> {
    const store = loadProfileStore();
    const name = this.flags.profile ?? process.env.EBCLI_PROFILE ?? store.current ?? LOCAL_PROFILE;
    if (!store.profiles[name]) {
      this.note(
        name === LOCAL_PROFILE
          ? 'The built-in local profile stores no credentials (the embedded server keeps its admin token).'
          : `No stored profile "${name}".`,
      );
      return { profile: name, removed: false };
    }
    await saveProfiles((s) => {
      const profiles = { ...s.profiles };
      delete profiles[name];
      return { current: s.current === name ? undefined : s.current, profiles };
    });
    this.note(`Logged out: profile ${name} removed.`);
    return { profile: name, removed: true };
  }
}
