import { createPrivateKey, createPublicKey, generateKeyPairSync, sign, verify, type KeyObject } from 'node:crypto';

/**
 * Ed25519 signatures over Watcher traffic, both ways. A signed envelope carries its payload as JSON
 * text, so the bytes signed are the bytes received (no canonicalisation):
 *   `ebcli-watcher/1\n<type>\n<machine>\n<seq>\n<sentAt>\n<payload>`.
 */
export interface Envelope {
  type: string;
  machine: string;
  seq: number;
  sentAt: number;
  payload: string;
  sig: string;
}

const DOMAIN = 'ebcli-watcher/1';

/**
 * Signatures of the last accepted messages a guard remembers, to tell a `replay` from a
 * `reordered` message (both are refused either way). Kept small: the server holds one guard per
 * connected Watcher, and 256 signatures were ~30 KiB of the 50 KiB a connection may cost (L2).
 */
const SEEN_WINDOW = 16;

function signedBytes(e: Omit<Envelope, 'sig'>): Buffer {
  return Buffer.from(`${DOMAIN}\n${e.type}\n${e.machine}\n${e.seq}\n${e.sentAt}\n${e.payload}`);
}

export function newKeyPair(): { privateKey: string; publicKey: string } {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  return {
    privateKey: privateKey.export({ format: 'pem', type: 'pkcs8' }).toString(),
    publicKey: publicKey.export({ format: 'der', type: 'spki' }).toString('base64'),
  };
}

export const privateKeyOf = (pem: string): KeyObject => createPrivateKey(pem);

/** A public key from its base64 SPKI DER form; throws unless it is an Ed25519 key. */
export function publicKeyOf(spkiBase64: string): KeyObject {
  const key = createPublicKey({ key: Buffer.from(spkiBase64, 'base64'), format: 'der', type: 'spki' });
  if (key.asymmetricKeyType !== 'ed25519') throw new Error('not an Ed25519 public key');
  return key;
}

export function seal(key: KeyObject, e: Omit<Envelope, 'sig'>): Envelope {
  return { ...e, sig: sign(null, signedBytes(e), key).toString('base64') };
}

export function verifySignature(key: KeyObject, e: Envelope): boolean {
  try {
    return verify(null, signedBytes(e), key, Buffer.from(e.sig, 'base64'));
  } catch {
    return false;
  }
}

/** Why a signed message was refused (audited on the server, logged and reported by the Watcher). */
export type Refusal = 'unsigned' | 'bad-signature' | 'replay' | 'reordered' | 'stale' | 'impersonation' | 'invalid';

/**
 * Replay and order protection for one direction of one Watcher: a message must be newer than the
 * last accepted one (`seq` strictly increasing; gaps allowed, as a sender may crash after taking a
 * number) and sent within `toleranceMs` of the receiver's clock. A repeat of an accepted message is
 * a `replay`; an older, never seen one is `reordered`.
 */
export class SequenceGuard {
  private readonly seen: string[] = [];
  constructor(
    public lastSeq: number,
    private readonly toleranceMs: number,
  ) {}

  check(e: Envelope, now = Date.now()): Refusal | undefined {
    if (e.seq <= this.lastSeq) return this.seen.includes(e.sig) ? 'replay' : 'reordered';
    if (Math.abs(now - e.sentAt) > this.toleranceMs) return 'stale';
    return undefined;
  }

  accept(e: Envelope): void {
    this.lastSeq = e.seq;
    this.seen.push(e.sig);
    if (this.seen.length > SEEN_WINDOW) this.seen.shift();
  }
}
