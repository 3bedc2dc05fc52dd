/**
 * The pieces of src/server/machines/ssh/session.ts that need no host: `host[:port]` parsing and the host
 * key fingerprint, checked against what OpenSSH's own ssh-keygen prints for the same key.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { fingerprintOf, parseHost } from '../../src/server/machines/ssh/session.js';
import { hostKey } from '../../src/server/machines/ssh/provider-fields.js';

describe('ssh session helpers', () => {
  it('parses host[:port], IPv6 in brackets, port 22 by default', () => {
    expect(parseHost('10.0.0.5')).toEqual({ host: '10.0.0.5', port: 22 });
    expect(parseHost(' host.example:2222 ')).toEqual({ host: 'host.example', port: 2222 });
    expect(parseHost('[fd00::7]:2200')).toEqual({ host: 'fd00::7', port: 2200 });
    expect(hostKey('[fd00::7]')).toBe('[fd00::7]:22');
    expect(hostKey('a')).toBe('a:22');
    expect(() => parseHost('a:0')).toThrow('port must be 1-65535');
    expect(() => parseHost('a b')).toThrow('is not host[:port]');
    expect(() => parseHost('fd00::7')).toThrow('is not host[:port]');
  });

  it.each(['ed25519', 'rsa', 'ecdsa'])('fingerprints a %s key as ssh-keygen -l does', (type) => {
    const dir = mkdtempSync(join(tmpdir(), 'ebcli-ssh-fp-'));
    try {
      const key = join(dir, 'key');
      execFileSync('ssh-keygen', ['-q', '-t', type, '-N', '', '-f', key]);
      const blob = Buffer.from(readFileSync(`${key}.pub`, 'utf8').split(' ')[1]!, 'base64');
      const expected = execFileSync('ssh-keygen', ['-l', '-E', 'sha256', '-f', `${key}.pub`])
        .toString()
        .split(/\s+/)[1];
      expect(fingerprintOf(blob)).toBe(expected);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
