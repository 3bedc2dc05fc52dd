import { describe, expect, it } from 'vitest';
import { configDir, resolveSettings, type ResolveInput } from '../../src/shared/config.js';

const local = {
  dataDir: '/data/ebcli',
  url: 'https://127.0.0.1:9443',
  caFile: '/data/ebcli/tls/ca.pem',
  token: 'admin-tok',
  running: true,
};
const input = (over: Partial<ResolveInput> = {}): ResolveInput => ({
  flags: {},
  env: {},
  store: { profiles: {} },
  local,
  ...over,
});

describe('resolveSettings: flag > env > profile > local', () => {
  it('falls back to the built-in local profile', () => {
    const s = resolveSettings(input());
    expect(s.isLocal).toBe(true);
    expect(s.profile).toMatchObject({ value: 'local', source: 'local' });
    expect(s.url).toMatchObject({ value: local.url, source: 'local', from: 'server.json' });
    expect(s.token).toMatchObject({ value: 'admin-tok', source: 'local' });
    expect(s.caFile.value).toBe(local.caFile);
  });

  it('uses the current profile over local', () => {
    const store = {
      current: 'work',
      profiles: { work: { url: 'https://cam.example', token: 't1', caFile: '/ca.pem' } },
    };
    const s = resolveSettings(input({ store }));
    expect(s.isLocal).toBe(false);
    expect(s.url).toMatchObject({ value: 'https://cam.example', source: 'profile', from: 'profile work' });
    expect(s.token).toMatchObject({ value: 't1', source: 'profile' });
  });

  it('lets the environment override the profile, and flags override both', () => {
    const store = { current: 'work', profiles: { work: { url: 'https://cam.example', token: 't1' } } };
    const env = { EBCLI_URL: 'https://env.example', EBCLI_TOKEN: 'envtok' };
    const s = resolveSettings(input({ store, env }));
    expect(s.url).toMatchObject({ value: 'https://env.example', source: 'env', from: 'EBCLI_URL' });
    expect(s.token).toMatchObject({ value: 'envtok', source: 'env', from: 'EBCLI_TOKEN' });
    const f = resolveSettings(input({ store, env, flags: { url: 'https://flag.example' } }));
    expect(f.url).toMatchObject({ value: 'https://flag.example', source: 'flag', from: '--url' });
  });

  it('selects the profile by flag, then EBCLI_PROFILE, and flags a missing one', () => {
    const store = { current: 'a', profiles: { a: { url: 'https://a' }, b: { url: 'https://b' } } };
    expect(resolveSettings(input({ store, env: { EBCLI_PROFILE: 'b' } })).url.value).toBe('https://b');
    expect(resolveSettings(input({ store, env: { EBCLI_PROFILE: 'b' }, flags: { profile: 'a' } })).url.value).toBe(
      'https://a',
    );
    expect(resolveSettings(input({ store, flags: { profile: 'nope' } })).missingProfile).toBe(true);
  });

  it('never sends a stored token to another URL', () => {
    const store = { current: 'work', profiles: { work: { url: 'https://cam.example', token: 't1' } } };
    const s = resolveSettings(input({ store, flags: { url: 'https://elsewhere.example' } }));
    expect(s.token.value).toBeUndefined();
    const l = resolveSettings(input({ flags: { url: 'https://elsewhere.example' } }));
    expect(l.token.value).toBeUndefined();
    expect(l.isLocal).toBe(false);
  });

  it('places the config under XDG_CONFIG_HOME', () => {
    expect(configDir({ XDG_CONFIG_HOME: '/x/cfg', HOME: '/home/u' })).toBe('/x/cfg/ebcli');
  });
});
