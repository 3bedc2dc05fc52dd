import { statSync } from 'node:fs';
import { join } from 'node:path';
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { ensureBuilt, tempHome } from './helpers.js';
import { runCliInProcess as runCli } from './in-process.js';

describe('login, whoami, logout', () => {
  let t: TestServer;
  let home: ReturnType<typeof tempHome>;
  let caFile: string;

  beforeAll(async () => {
    ensureBuilt();
    t = await startTestServer();
    home = tempHome();
    caFile = join(t.dataDir, 'tls', 'ca.pem');
  });

  afterAll(async () => {
    await t?.stop();
    home?.cleanup();
  });

  it('needs a token source without a TTY, naming the flag', async () => {
    const r = await runCli(['login', '--url', t.url, '--ca-file', caFile], { env: home.env });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('--token-stdin');
  });

  it('logs in with --token-stdin and stores the profile with mode 0600', async () => {
    const r = await runCli(
      ['login', '--url', t.url, '--ca-file', caFile, '--token-stdin', '--profile', 'dev', '--json'],
      {
        env: home.env,
        input: `${t.token}\n`,
      },
    );
    expect(r.stderr).toContain('Logged in');
    expect(r.code).toBe(0);
    expect(r.json()).toMatchObject({ profile: 'dev', url: t.url, user: 'admin@ebcli.local', release: '4.0' });
    expect(r.stdout).not.toContain(t.token);
    const file = join(home.env.XDG_CONFIG_HOME!, 'ebcli', 'config.json');
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(JSON.parse(readFileSync(file, 'utf8'))).toMatchObject({ current: 'dev', profiles: { dev: { url: t.url } } });
  });

  it('whoami shows the user and where each setting came from, never the token', async () => {
    const r = await runCli(['whoami', '--json'], { env: home.env });
    expect(r.code).toBe(0);
    const w = r.json();
    expect(w.user.email).toBe('admin@ebcli.local');
    expect(w.settings.url).toMatchObject({ value: t.url, source: 'profile', from: 'profile dev' });
    expect(w.settings.token).toMatchObject({ value: '(set)', source: 'profile' });
    expect(r.stdout).not.toContain(t.token);
    const env = await runCli(['whoami', '--json'], { env: { ...home.env, EBCLI_TOKEN: t.token } });
    expect(env.json().settings.token).toMatchObject({ source: 'env', from: 'EBCLI_TOKEN' });
  });

  it('logs in with email and --password-stdin', async () => {
    const password = readFileSync(join(t.dataDir, 'admin-password'), 'utf8').trim();
    const r = await runCli(
      [
        'login',
        '--url',
        t.url,
        '--ca-file',
        caFile,
        '--email',
        'admin@ebcli.local',
        '--password-stdin',
        '--profile',
        'pw',
      ],
      { env: home.env, input: password },
    );
    expect(r.code).toBe(0);
    const who = await runCli(['whoami', '--json', '--profile', 'pw'], { env: home.env });
    expect(who.json().user.id).toBe('admin');
  });

  it('refuses a wrong token at login (exit 4) without storing it', async () => {
    const r = await runCli(['login', '--url', t.url, '--ca-file', caFile, '--token-stdin', '--profile', 'bad'], {
      env: home.env,
      input: 'wrong',
    });
    expect(r.code).toBe(4);
    const who = await runCli(['whoami', '--profile', 'bad'], { env: home.env });
    expect(who.code).toBe(2);
    expect(who.stderr).toContain('ebcli login --profile bad');
  });

  it('logout removes the profile', async () => {
    const r = await runCli(['logout', '--profile', 'dev', '--json'], { env: home.env });
    expect(r.json()).toEqual({ profile: 'dev', removed: true });
    const who = await runCli(['whoami', '--profile', 'dev'], { env: home.env });
    expect(who.code).toBe(2);
  });
});

// The embedded default on purpose, on every run: the local profile starts a SQLite control plane in
// the user's data directory (no EBCLI_DATABASE_URL reaches it), which is what a laptop gets.
describe('the built-in local profile and `server` commands', () => {
  let home: ReturnType<typeof tempHome>;

  beforeAll(() => {
    ensureBuilt();
    home = tempHome();
  });

  afterAll(async () => {
    await runCli(['server', 'stop'], { env: home.env });
    home?.cleanup();
  });

  it('starts the embedded server in the background when a command needs it, and says so on stderr', async () => {
    const r = await runCli(['workspaces', 'list', '--json'], { env: home.env, timeoutMs: 60_000 });
    expect(r.stderr).toContain('Starting the embedded control plane');
    expect(r.code).toBe(0);
    expect(r.json()[0].id).toBe('admin');
    const again = await runCli(['whoami', '--json'], { env: home.env });
    expect(again.stderr).toBe('');
    expect(again.json().settings.url).toMatchObject({ source: 'local', from: 'server.json' });
  });

  it('server status / stop / start report URL, pid and data dir', async () => {
    const status = await runCli(['server', 'status', '--json'], { env: home.env });
    expect(status.json()).toMatchObject({ running: true, dataDir: join(home.env.XDG_DATA_HOME!, 'ebcli') });
    const stop = await runCli(['server', 'stop', '--json'], { env: home.env });
    expect(stop.json()).toMatchObject({ stopped: true, pid: status.json().pid });
    expect((await runCli(['server', 'status', '--json'], { env: home.env })).json().running).toBe(false);
    const start = await runCli(['server', 'start', '--json'], { env: home.env, timeoutMs: 60_000 });
    expect(start.json()).toMatchObject({ started: true, foreground: false });
    expect(start.json().url).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
  });

  it('runs in the foreground until SIGTERM', async () => {
    const dataDir = join(home.home, 'fg');
    let url = '';
    const r = await runCli(['server', 'start', '--foreground', '--data-dir', dataDir], {
      env: home.env,
      onSpawn: (child) => {
        child.stdout?.on('data', (d: Buffer) => {
          const m = /Control plane listening at (\S+)/.exec(String(d));
          if (m && !url) {
            url = m[1]!;
            child.kill('SIGTERM');
          }
        });
      },
    });
    expect(url).toMatch(/^https:/);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('Received SIGTERM');
  });
});
