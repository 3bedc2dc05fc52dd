import { resolve } from 'node:path';
import { Flags } from '@oclif/core';
import { BaseCommand } from '../cli/base-command.js';
import { UsageError } from '../cli/errors.js';
import { askText, readStdin } from '../cli/input.js';
import { loadProfileStore, LOCAL_PROFILE, profileFile, saveProfiles } from '../shared/config.js';

export interface LoginResult {
  profile: string;
  url: string;
  user: string;
  release: string;
  workspaces: number;
  storedIn: string;
}

export default class Login extends BaseCommand<typeof Login> {
  static override summary = 'Log in to a control plane and store the profile';
  static override description =
    'Validates the token with GET /services/workspaces and the ElasticBox-Release header, then stores URL, token (file mode 0600) and CA file as a profile and makes it current. Tokens are read from stdin or a prompt, never from the command line.';

  static override examples = [
    'echo "$TOKEN" | <%= config.bin %> login --url https://cam.example.com --token-stdin',
    '<%= config.bin %> login --url https://cam.example.com --email me@example.com --password-stdin < pw.txt',
  ];

  static override flags = {
    'token-stdin': Flags.boolean({ description: 'read the API token from stdin', exclusive: ['email'] }),
    email: Flags.string({ description: 'log in with email and password instead of a token' }),
    'password-stdin': Flags.boolean({ description: 'read the password from stdin', dependsOn: ['email'] }),
    'ca-file': Flags.string({ description: 'PEM file of a CA to trust for this server (merged with system roots)' }),
  };

  async run(): Promise<LoginResult> {
    const { flags } = this;
    const store = loadProfileStore();
    const name = flags.profile ?? process.env.EBCLI_PROFILE ?? store.current ?? 'default';
    if (name === LOCAL_PROFILE) throw new UsageError('"local" is the built-in profile; choose another --profile');
    const existing = store.profiles[name];
    const url = flags.url ?? process.env.EBCLI_URL ?? existing?.url ?? (await askText('Control plane URL:', '--url'));
    const caFlag = flags['ca-file'] ?? process.env.EBCLI_CA_FILE;
    const caFile = caFlag ? resolve(caFlag) : existing?.caFile;

    const { EbClient } = await import('../client/client.js');
    let token: string;
    if (flags['token-stdin']) token = await readStdin('--token-stdin');
    else if (flags.email) {
      const password = flags['password-stdin']
        ? await readStdin('--password-stdin')
        : await askText('Password:', '--password-stdin', { secret: true });
      const anonymous = new EbClient({ url, caFile, userAgent: this.config.userAgent });
      try {
        token = await anonymous.tokens.login(flags.email, password);
      } finally {
        await anonymous.close();
      }
    } else
      token = process.env.EBCLI_TOKEN ?? (await askText('Authentication Token:', '--token-stdin', { secret: true }));

    const client = new EbClient({ url, token, caFile, userAgent: this.config.userAgent });
    try {
      const { release, workspaces } = await client.verify();
      const me = await client.profile.retrieve();
      await saveProfiles((s) => ({
        current: name,
        profiles: { ...s.profiles, [name]: { ...s.profiles[name], url: client.baseUrl, token, caFile } },
      }));
      this.note(`Logged in to ${client.baseUrl} as ${me.email} (profile ${name})`);
      return {
        profile: name,
        url: client.baseUrl,
        user: me.email,
        release,
        workspaces: workspaces.length,
        storedIn: profileFile(),
      };
    } finally {
      await client.close();
    }
  }
}
