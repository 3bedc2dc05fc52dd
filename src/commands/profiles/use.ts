import { Args } from '@oclif/core';
import { BaseCommand } from '../../cli/base-command.js';
import { checkProfile } from '../../cli/profiles.js';
import { loadProfileStore, LOCAL_PROFILE, saveProfiles } from '../../shared/config.js';

export default class ProfilesUse extends BaseCommand<typeof ProfilesUse> {
  static override summary = 'Make a profile the current one (used when neither --profile nor EBCLI_PROFILE names one)';
  static override args = {
    name: Args.string({ description: 'profile name (local: the embedded server)', required: true }),
  };
  static override examples = ['<%= config.bin %> profiles use prod', '<%= config.bin %> profiles use local'];

  async run(): Promise<{ current: string }> {
    const { name } = this.args;
    checkProfile(loadProfileStore(), name, true);
    await saveProfiles((s) => ({
      ...s,
      current: name === LOCAL_PROFILE && !s.profiles[LOCAL_PROFILE] ? undefined : name,
    }));
    this.note(`Current profile: ${name}`);
    if (process.env.EBCLI_PROFILE && process.env.EBCLI_PROFILE !== name) {
      this.note(`Note: EBCLI_PROFILE=${process.env.EBCLI_PROFILE} is set and takes precedence in this shell.`);
    }
    return { current: name };
  }
}
