/**
 * Secret masking for script output, logs and debug text.
 *
 * For every secret of at least {@link MIN_SECRET_LENGTH} characters the masker replaces these forms
 * with {@link MASK}:
 * - the raw value, its JSON-escaped form (also doubly escaped and with non-ASCII as `\uXXXX`),
 *   its URL-encoded forms (`encodeURIComponent`, `encodeURI`, form encoding with `+`), its
 *   HTML-escaped form and its shell single-quoted form (what `set -x` prints);
 * - base64 and base64url, padded or not, and the part of the encoding that depends only on the
 *   secret at each of the three byte alignments, so `base64("user:" + secret)` is caught too;
 * - split lines, as far as reasonable: each line (≥ 6 chars) of a multi-line secret (PEM keys),
 *   and the lines of its base64 form wrapped at 76 and 64 columns (`base64`, `openssl`).
 *
 * NOT guaranteed: secrets shorter than 6 characters (never masked: they would mask everything);
 * any other transformation (hex, case changes, reversal, compression, encryption, hashing, a
 * substring of the secret); a secret printed in pieces by the script (`echo ${S:0:4}; echo ${S:4}`)
 * or across stdout and stderr; lines of wrapped encodings shorter than 6 characters; text that
 * happens to equal a secret form by chance. Mask again on the server; treat masking as damage
 * control, not a guarantee.
 */

/** Secrets shorter than this are ignored (quality.md A1 tunables). */
export const MIN_SECRET_LENGTH = 6;
/** What replaces every masked form. */
export const MASK = '***';

function base64Core(bytes: Buffer, offset: number, urlSafe: boolean): string {
  // Characters of base64(prefix[offset] + secret) that depend only on the secret's bits.
  const padded = Buffer.concat([Buffer.alloc(offset), bytes]);
  const encoded = padded.toString(urlSafe ? 'base64url' : 'base64').replace(/=+$/, '');
  const first = Math.ceil((8 * offset) / 6);
  const last = Math.floor((8 * (offset + bytes.length)) / 6);
  return encoded.slice(first, last);
}

function wrapped(text: string, width: number): string[] {
  const lines: string[] = [];
  for (let i = 0; i < text.length; i += width) lines.push(text.slice(i, i + width));
  return lines.length > 1 ? lines : [];
}

const jsonInner = (s: string): string => JSON.stringify(s).slice(1, -1);

/** Every form of `secret` the masker looks for (deduplicated, each ≥ {@link MIN_SECRET_LENGTH}). */
export function secretVariants(secret: string): string[] {
  if (secret.length < MIN_SECRET_LENGTH) return [];
  const bytes = Buffer.from(secret, 'utf8');
  const base64 = bytes.toString('base64');
  const forms = [
    secret,
    jsonInner(secret),
    jsonInner(jsonInner(secret)),
    jsonInner(secret).replace(/[\u0080-\uffff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`),
    encodeURIComponent(secret),
    encodeURI(secret),
    encodeURIComponent(secret).replace(/%20/g, '+'),
    secret.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`),
    secret.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;'),
    secret.replace(/'/g, `'\\''`),
    base64,
    base64.replace(/=+$/, ''),
    bytes.toString('base64url'),
  ];
  for (const offset of [0, 1, 2]) forms.push(base64Core(bytes, offset, false), base64Core(bytes, offset, true));
  for (const line of secret.split(/\r?\n/)) forms.push(line);
  for (const width of [76, 64]) forms.push(...wrapped(base64, width));
  return [...new Set(forms.filter((f) => f.length >= MIN_SECRET_LENGTH))];
}

const escapeRegExp = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** Masks a fixed set of secrets; build one per execution and reuse it for every line. */
export class Redactor {
  private readonly pattern: RegExp | undefined;
  /** Length of the longest form searched for (a streaming caller keeps this much minus one as carry). */
  readonly maxLength: number;

  constructor(secrets: Iterable<string>) {
    const forms = new Set<string>();
    for (const secret of secrets) for (const form of secretVariants(secret)) forms.add(form);
    const sorted = [...forms].sort((a, b) => b.length - a.length);
    this.maxLength = sorted[0]?.length ?? 0;
    this.pattern = sorted.length ? new RegExp(sorted.map(escapeRegExp).join('|'), 'g') : undefined;
  }

  /** True when there is nothing to mask. */
  get empty(): boolean {
    return this.pattern === undefined;
  }

  /** Non-overlapping `[start, end)` ranges of secret forms in `text`, in order. */
  ranges(text: string): Array<[number, number]> {
    if (!this.pattern) return [];
    const out: Array<[number, number]> = [];
    for (const m of text.matchAll(this.pattern)) out.push([m.index, m.index + m[0].length]);
    return out;
  }

  /** `text` with every secret form replaced by {@link MASK}. */
  redact(text: string): string {
    return this.pattern ? text.replace(this.pattern, MASK) : text;
  }
}

/** One-off masking; prefer a reused {@link Redactor} for many strings. */
export function redact(text: string, secrets: Iterable<string>): string {
  return new Redactor(secrets).redact(text);
}
