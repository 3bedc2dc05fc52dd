import { describe, expect, it } from 'vitest';
import { MASK, redact, Redactor, secretVariants } from '../../src/shared/redact.js';

const SECRET = 'p@ss w0rd/+é"x';

describe('Redactor', () => {
  it('masks the raw, base64, URL-encoded and JSON-escaped forms', () => {
    const r = new Redactor([SECRET]);
    const b64 = Buffer.from(SECRET).toString('base64');
    const forms = [
      SECRET,
      b64,
      b64.replace(/=+$/, ''),
      Buffer.from(SECRET).toString('base64url'),
      encodeURIComponent(SECRET),
      encodeURIComponent(SECRET).replace(/%20/g, '+'),
      JSON.stringify(SECRET).slice(1, -1),
      JSON.stringify(JSON.stringify(SECRET).slice(1, -1)).slice(1, -1),
      `'${SECRET.replace(/'/g, `'\\''`)}'`.slice(1, -1),
    ];
    for (const form of forms) expect(r.redact(`before ${form} after`)).toBe(`before ${MASK} after`);
    expect(r.redact(JSON.stringify({ password: SECRET }))).toBe(`{"password":"${MASK}"}`);
  });

  it('masks a secret inside a larger base64 text at any alignment (Basic auth)', () => {
    const secret = 'hunter2-extra';
    const r = new Redactor([secret]);
    for (const user of ['a', 'ab', 'abc', 'admin']) {
      const header = `Authorization: Basic ${Buffer.from(`${user}:${secret}`).toString('base64')}`;
      const masked = r.redact(header);
      const [before, after] = masked.slice('Authorization: Basic '.length).split(MASK);
      // Only the characters that also encode `user:` (before) or padding bits (after) survive.
      expect(before!.length).toBeLessThanOrEqual(Math.ceil(((user.length + 1) * 8) / 6));
      expect(after!.length).toBeLessThanOrEqual(4);
    }
  });

  it('masks lines of multi-line secrets and of wrapped base64', () => {
    const pem = [
      '-----BEGIN KEY-----',
      'MIIEvQIBADANBgkqhkiG9w0BAQEFAASC',
      'bktzc2VjcmV0bGluZXR3bw==',
      '-----END KEY-----',
    ].join('\n');
    const r = new Redactor([pem]);
    for (const line of pem.split('\n').slice(1, 3)) expect(r.redact(`  ${line}`)).toBe(`  ${MASK}`);
    const long = 'L0ng-S3cret-'.repeat(10);
    const wrapped = Buffer.from(long)
      .toString('base64')
      .match(/.{1,76}/g)!;
    const r2 = new Redactor([long]);
    for (const line of wrapped.filter((l) => l.length >= 6)) expect(r2.redact(line)).toBe(MASK);
  });

  it('ignores secrets shorter than 6 characters and treats regex characters literally', () => {
    expect(redact('abc12 is short', ['abc12'])).toBe('abc12 is short');
    expect(secretVariants('12345')).toEqual([]);
    expect(redact('a.*b+c? and axxb', ['a.*b+c?'])).toBe(`${MASK} and axxb`);
  });

  it('prefers the longest overlapping form and reports ranges', () => {
    const r = new Redactor(['secret-one', 'secret-one-two']);
    expect(r.redact('x secret-one-two y secret-one z')).toBe(`x ${MASK} y ${MASK} z`);
    expect(r.ranges('..secret-one..')).toEqual([[2, 12]]);
    expect(new Redactor([]).empty).toBe(true);
    expect(new Redactor([]).redact('unchanged')).toBe('unchanged');
  });
});
