import { Args } from '@oclif/core';
import { BaseCommand } from '../../cli/base-command.js';
import { checkProfile } from '../../cli/profiles.js';
import { loadProfileStore, saveProfiles } from '../../shared/config.js';

export default class ProfilesRemove extends BaseCommand<typeof ProfilesRemove> {
  static override summary = 'Remove a stored profile and its credentials';
  static override description = 'When it was the current profile, the built-in local profile becomes current.';
  static override args = { name: Args.string({ description: 'profile name', required: true }) };

  async run(): Promise<{ profile: string; removed: boolean; current?: string }> {
    const { name } = this.args;
    checkProfile(loadProfileStore(), name, false);
    const next = await saveProfiles((s) => {
      const profiles = { ...s.profiles };
      delete profiles[name];
      return { current: s.current === name ? undefined : s.current, profiles };
    });
    this.note(`Removed profile ${name}.`);
    return { profile: name, removed: true, ...(next.current ? { current: next.current } : {}) };
  }
}
