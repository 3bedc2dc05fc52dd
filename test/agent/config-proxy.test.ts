import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { readAgentConfig } from '../../src/agent/config.js';
import { bypassesProxy, proxyFor, proxyForLog } from '../../src/agent/proxy.js';

const dir = mkdtempSync(join(tmpdir(), 'ebcli-agent-config-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const conf = (doc: unknown, name = 'agent.conf') => {
  const file = join(dir, name);
  writeFileSync(file, typeof doc === 'string' ? doc : JSON.stringify(doc));
  return file;
};

describe('agent configuration file', () => {
  it('fills every path beside the file and resolves relative ones from its folder', () => {
    const c = readAgentConfig(conf({ url: 'https://cp.example.test:8443', workdir: 'w' }));
    expect(c).toEqual({
      url: 'https://cp.example.test:8443',
      caFile: undefined,
      proxy: undefined,
      credentialFile: join(dir, 'credential'),
      enrollmentFile: join(dir, 'enrollment'),
      workdir: join(dir, 'w'),
      stateDir: join(dir, 'state'),
      logFile: join(dir, 'agent.log'),
    });
  });

  it('names the file and the setting for every mistake', () => {
    expect(() => readAgentConfig(join(dir, 'missing.conf'))).toThrow(/missing\.conf: no such file/);
    expect(() => readAgentConfig(conf('{nope', 'bad.conf'))).toThrow(/bad\.conf: /);
    expect(() => readAgentConfig(conf({}))).toThrow(/"url" \(the control plane URL\) is required/);
    expect(() => readAgentConfig(conf({ url: 'http://cp' }))).toThrow(/"url" must be an https URL/);
    expect(() => readAgentConfig(conf({ url: 'https://cp', prxy: 'x' }))).toThrow(/unknown setting "prxy"/);
    expect(() => readAgentConfig(conf({ url: 'https://cp', proxy: 'socks5://p:1' }))).toThrow(
      /"proxy": the proxy URL must use http or https/,
    );
  });
});

describe('proxy selection', () => {
  const target = 'https://cp.corp.example:8443';
  it('takes the configured proxy first, then HTTPS_PROXY / https_proxy / ALL_PROXY', () => {
    expect(proxyFor(target, 'http://p1:3128', { HTTPS_PROXY: 'http://p2:3128' })).toBe('http://p1:3128/');
    expect(proxyFor(target, undefined, { https_proxy: 'http://p3:3128' })).toBe('http://p3:3128/');
    expect(proxyFor(target, undefined, { ALL_PROXY: 'http://p4:3128' })).toBe('http://p4:3128/');
    expect(proxyFor(target, undefined, {})).toBeUndefined();
  });

  it('reaches NO_PROXY hosts directly, for a configured proxy too', () => {
    const env = { HTTPS_PROXY: 'http://p:3128', NO_PROXY: 'localhost,.corp.example' };
    expect(proxyFor(target, undefined, env)).toBeUndefined();
    expect(proxyFor(target, 'http://p:1', { no_proxy: 'cp.corp.example:8443' })).toBeUndefined();
    expect(proxyFor(target, 'http://p:1', { no_proxy: 'cp.corp.example:443' })).toBe('http://p:1/');
    expect(bypassesProxy(new URL('https://other.example'), '*')).toBe(true);
    expect(bypassesProxy(new URL('https://notcorp.example'), 'corp.example')).toBe(false);
    expect(bypassesProxy(new URL('https://[::1]:9'), '::1')).toBe(true);
  });

  it('logs a proxy without its credentials', () => {
    expect(proxyForLog('http://user:secret@proxy:3128')).toBe('http://proxy:3128/');
  });
});
