import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { useCliServer } from './helpers.js';
import { runCliInProcess as runCli } from './in-process.js';

// `profiles list|use|remove` against profiles stored by a real `login`; one server for the file.
describe('profiles list, use, remove', () => {
  const cli = useCliServer();
  let env: Record<string, string>;

  beforeAll(async () => {
    env = cli.home.env; // no EBCLI_URL/TOKEN: settings come from the profiles
    const caFile = join(cli.t.dataDir, 'tls', 'ca.pem');
    for (const name of ['dev', 'prod']) {
      const r = await runCli(['login', '--url', cli.t.url, '--ca-file', caFile, '--token-stdin', '--profile', name], {
        env,
        input: `${cli.t.token}\n`,
      });
      expect(r.code, r.stderr).toBe(0);
    }
  });

  it('lists stored profiles and the built-in local one, marking the current, never showing tokens', async () => {
    const r = await runCli(['profiles', 'list', '--json'], { env });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).not.toContain(cli.t.token);
    expect(r.json()).toEqual([
      expect.objectContaining({ name: 'dev', current: false, url: cli.t.url, token: 'stored' }),
      expect.objectContaining({ name: 'prod', current: true, url: cli.t.url, token: 'stored' }),
      expect.objectContaining({ name: 'local', current: false, token: 'server admin token' }),
    ]);
    const text = await runCli(['profiles', 'list'], { env });
    expect(text.stdout).toContain(`*\tprod\t${cli.t.url}`);
  });

  it('switches the current profile', async () => {
    const use = await runCli(['profiles', 'use', 'dev'], { env });
    expect(use.code, use.stderr).toBe(0);
    const who = await runCli(['whoami', '--json'], { env });
    expect(who.json().profile).toMatchObject({ value: 'dev', source: 'profile' });
    const typo = await runCli(['profiles', 'use', 'prd'], { env });
    expect(typo.code).toBe(6);
    expect(typo.stderr).toContain('no profile "prd"; did you mean "prod"?');
  });

  it('removes a profile; removing the current one makes local current', async () => {
    const r = await runCli(['profiles', 'remove', 'dev', '--json'], { env });
    expect(r.code, r.stderr).toBe(0);
    expect(r.json()).toEqual({ profile: 'dev', removed: true });
    const list = await runCli(['profiles', 'list', '--json', 'name,current'], { env });
    expect(list.json()).toEqual([
      { name: 'prod', current: false },
      { name: 'local', current: true },
    ]);
    expect((await runCli(['profiles', 'remove', 'dev'], { env })).code).toBe(6);
    const local = await runCli(['profiles', 'remove', 'local'], { env });
    expect(local.code).toBe(2);
    expect(local.stderr).toContain('cannot be removed');
  });

  it('server status exits 1 when the embedded server is not running, with the status on stdout', async () => {
    const r = await runCli(['server', 'status', '--json'], { env });
    expect(r.code).toBe(1);
    expect(r.json()).toMatchObject({ running: false, reason: 'not started' });
    const text = await runCli(['server', 'status'], { env });
    expect(text.code).toBe(1);
    expect(text.stdout).toMatch(/running\s+no \(not started\)/);
  });
});
