import { BaseCommand } from '../cli/base-command.js';
import { profileFile, type Setting } from '../shared/config.js';

interface ShownSetting {
  value?: string;
  source: Setting['source'];
  from?: string;
}

export interface WhoamiResult {
  user: { id: string; email: string; workspace: string };
  endpoint: string;
  profile: ShownSetting;
  settings: { url: ShownSetting; token: ShownSetting; caFile: ShownSetting; workspace: ShownSetting };
  credentialStore: string;
}

const shown = (s: Setting, secret = false): ShownSetting => ({
  ...(s.value === undefined ? {} : { value: secret ? '(set)' : s.value }),
  source: s.source,
  ...(s.from ? { from: s.from } : {}),
});

export default class Whoami extends BaseCommand<typeof Whoami> {
  static override summary = 'Show the user, endpoint and workspace, and where each setting came from';

  async run(): Promise<WhoamiResult> {
    const client = await this.client();
    const s = this.settings();
    const me = await client.profile.retrieve();
    const result: WhoamiResult = {
      user: { id: me.id, email: me.email, workspace: me.workspace },
      endpoint: client.baseUrl,
      profile: shown(s.profile),
      settings: {
        url: shown(s.url),
        token: shown(s.token, true),
        caFile: shown(s.caFile),
        workspace: s.workspace.value
          ? shown(s.workspace)
          : { value: me.workspace, source: 'none', from: 'your default workspace' },
      },
      credentialStore:
        s.token.source === 'profile'
          ? `file ${profileFile()} (mode 0600)`
          : s.token.source === 'local'
            ? 'embedded server admin-token file'
            : s.token.source,
    };
    const src = (x: ShownSetting) => `${x.value ?? '-'}  (${x.source}${x.from ? `: ${x.from}` : ''})`;
    await this.fields([
      ['user', `${me.email} (${me.id})`],
      ['endpoint', client.baseUrl],
      ['profile', src(result.profile)],
      ['url', src(result.settings.url)],
      ['token', src(result.settings.token)],
      ['CA file', src(result.settings.caFile)],
      ['workspace', src(result.settings.workspace)],
      ['credentials', result.credentialStore],
    ]);
    return result;
  }
}
