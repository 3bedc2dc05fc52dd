import { createHash, randomBytes, scrypt, timingSafeEqual } from 'node:crypto';
import { promisify } from 'node:util';

const scryptAsync = promisify(scrypt) as (pw: string, salt: Buffer, len: number, opts: object) => Promise<Buffer>;
const SCRYPT = { N: 16384, r: 8, p: 1, maxmem: 64 * 1024 * 1024 };

/** Hashes a password with scrypt: `scrypt$N$r$p$salt$hash` (base64). */
export async function hashPassword(password: string): Promise<string> {
  const salt = randomBytes(16);
  const hash = await scryptAsync(password, salt, 32, SCRYPT);
  return `scrypt$${SCRYPT.N}$${SCRYPT.r}$${SCRYPT.p}$${salt.toString('base64')}$${hash.toString('base64')}`;
}

export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const [kind, n, r, p, salt, hash] = stored.split('$');
  if (kind !== 'scrypt' || !salt || !hash) return false;
  const expected = Buffer.from(hash, 'base64');
  const opts = { N: Number(n), r: Number(r), p: Number(p), maxmem: SCRYPT.maxmem };
  const actual = await scryptAsync(password, Buffer.from(salt, 'base64'), expected.length, opts);
  return timingSafeEqual(actual, expected);
}

/** A new random API token: 32 bytes, base64url, shown once and stored only as its hash. */
export const newToken = (): string => `eb_${randomBytes(32).toString('base64url')}`;

/** Tokens carry 256 random bits, so one SHA-256 round is enough to store them safely. */
export const hashToken = (token: string): string => createHash('sha256').update(token).digest('hex');

/**
 * A secret the server generated itself (a Watcher's password: 192 random bits) needs no slow
 * hash: like a token, one SHA-256 round stores it safely (`sha256$<hex>`), and verifying it costs
 * microseconds instead of scrypt's ~25 ms of CPU, which a fleet of Watchers reconnecting at once
 * (quality.md L2, F7) would otherwise queue behind. Hashes written as scrypt still verify.
 */
export const hashSecret = (secret: string): string => `sha256$${hashToken(secret)}`;

export async function verifySecret(secret: string, stored: string): Promise<boolean> {
  if (stored.startsWith('scrypt$')) return verifyPassword(secret, stored);
  if (!stored.startsWith('sha256$')) return false;
  const expected = Buffer.from(stored.slice('sha256$'.length), 'hex');
  const actual = Buffer.from(hashToken(secret), 'hex');
  return expected.length === actual.length && timingSafeEqual(actual, expected);
}
