import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createPublicKey, type KeyObject } from 'node:crypto';
import { writeSecretFile } from '../secret-files.js';
import { newKeyPair, privateKeyOf } from '../../shared/monitoring/signing.js';

/** The monitoring side's Ed25519 signing key: signs every frame sent to Watchers. */
export interface ServerKey {
  privateKey: KeyObject;
  /** Base64 SPKI DER, as Watchers receive it at enrollment. */
  publicKey: string;
}

/** Loads `<dataDir>/monitoring-signing.pem`, creating it (0600) on first start. */
export function loadServerKey(dataDir: string): ServerKey {
  const file = join(dataDir, 'monitoring-signing.pem');
  if (!existsSync(file)) writeSecretFile(file, newKeyPair().privateKey);
  const privateKey = privateKeyOf(readFileSync(file, 'utf8'));
  const publicKey = createPublicKey(privateKey).export({ format: 'der', type: 'spki' }).toString('base64');
  return { privateKey, publicKey };
}
