import type { SecureContext } from 'node:tls';
import type { Agent } from 'node:http';
import { request } from 'node:https';
import { newKeyPair } from '../shared/monitoring/signing.js';
import { WATCHER_ENROLL_PATH, type EnrollReply } from '../shared/monitoring/watcher-protocol.js';
import type { Identity, StateDir } from './state.js';

/** How the Watcher's requests trust the server: the CAs, or a TLS context that carries them. */
export type WatcherTrust = { ca?: string } | { secureContext: SecureContext };

function post(
  url: string,
  trust: WatcherTrust,
  token: string,
  body: string,
  agent: Agent | undefined,
): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      {
        method: 'POST',
        ...trust,
        ...(agent ? { agent } : {}),
        headers: {
          authorization: `Bearer ${token}`,
          'content-type': 'application/json',
          'content-length': Buffer.byteLength(body),
        },
        timeout: 30_000,
      },
      (res) => {
        let text = '';
        res.on('data', (c: Buffer) => (text += c.toString()));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
      },
    );
    req.on('timeout', () => req.destroy(new Error('enrollment timed out')));
    req.on('error', reject);
    req.end(body);
  });
}

/**
 * The Watcher's identity: read from its state folder, or created by enrolling once: a new Ed25519
 * key pair (the private half never leaves the folder) and the machine token prove the machine; the
 * server answers with the Watcher's own username and password and its public signing key.
 */
export async function ensureIdentity(
  state: StateDir,
  server: string,
  trust: WatcherTrust,
  machineToken: () => string,
  agent?: Agent,
): Promise<{ identity: Identity; privateKey: string }> {
  const existing = state.readIdentity();
  if (existing) return existing;
  const keys = newKeyPair();
  const res = await post(
    `${server}${WATCHER_ENROLL_PATH}`,
    trust,
    machineToken(),
    JSON.stringify({ public_key: keys.publicKey }),
    agent,
  );
  if (res.status !== 201) throw new Error(`enrollment refused: HTTP ${res.status}`);
  const reply = JSON.parse(res.text) as EnrollReply;
  const identity: Identity = {
    machine: reply.machine,
    username: reply.username,
    password: reply.password,
    serverKey: reply.server_key,
  };
  state.writeIdentity(identity, keys.privateKey);
  return { identity, privateKey: keys.privateKey };
}
