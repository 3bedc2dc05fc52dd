import { afterAll, describe, expect, it } from 'vitest';
import { runCli, tempHome } from './helpers.js';

// Mistyped commands and flags are usage errors (exit 2) that name the closest command or flag,
// without a prompt; flags with a closed set of values refuse others. No server is needed: all of
// these fail before a request is sent.
describe('did you mean', () => {
  const home = tempHome();
  afterAll(() => home.cleanup());
  const env = { ...home.env, EBCLI_URL: 'https://127.0.0.1:9' };

  it('suggests the closest command, through oclif and through the help fast path', async () => {
    for (const extra of [{}, { EBCLI_NO_FAST_PATH: '1' }]) {
      const typo = await runCli(['delpoy', 'box'], { env: { ...env, ...extra } });
      expect(typo.code).toBe(2);
      expect(typo.stderr).toContain('command delpoy box not found. Did you mean "ebcli deploy box"?');
      const sub = await runCli(['instances', 'lst'], { env: { ...env, ...extra } });
      expect(sub.code).toBe(2);
      expect(sub.stderr.replace(/\s+›\s+/g, ' ')).toContain('Did you mean "ebcli instances list"');
      const none = await runCli(['qqqqqqqq'], { env: { ...env, ...extra } });
      expect(none.code).toBe(2);
      expect(none.stderr.replace(/\s+›\s+/g, ' ')).toContain('Run "ebcli help" for a list of commands.');
    }
  });

  it('suggests the closest flag', async () => {
    const r = await runCli(['instances', 'list', '--stat', 'running'], { env });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('unknown flag --stat (did you mean --state?)');
    expect(r.stderr).toContain('ebcli instances list --help');
    const json = await runCli(['wait', 'web', '--timout', '5s', '--json'], { env });
    expect(json.code).toBe(2);
    expect(json.json().error).toMatchObject({
      code: 'usage',
      exitCode: 2,
      message: 'unknown flag --timout (did you mean --timeout?)',
    });
  });

  it('refuses values outside a closed set, with and without the fast path', async () => {
    for (const extra of [{}, { EBCLI_NO_FAST_PATH: '1' }]) {
      const r = await runCli(['instances', 'list', '--state', 'runing'], { env: { ...env, ...extra } });
      expect(r.code).toBe(2);
      expect(r.stderr).toContain('Expected --state=runing to be one of: running, stopped, terminated, failed');
    }
    const logs = await runCli(['instances', 'logs', 'web', '--event', 'instal'], { env });
    expect(logs.code).toBe(2);
    expect(logs.stderr).toContain('Expected --event=instal to be one of: pre_install, install');
  });
});
