/**
 * The agent's side of enrollment (protocol.ts {@link ENROLL_PATH}): trades the one-time
 * enrollment token for the machine credential, over the same TLS settings and proxy as the
 * websocket. The caller writes the credential file and removes the enrollment file.
 */
import { request } from 'node:https';
import { hostname } from 'node:os';
import { trustOptions } from '../shared/tls-trust.js';
import { ENROLL_PATH, type EnrollResponse } from '../shared/protocol.js';
import { tunnelAgent } from './proxy.js';

export class EnrollError extends Error {
  override readonly name = 'EnrollError';
  constructor(
    message: string,
    /** HTTP status; undefined when the control plane was not reached. */
    readonly status?: number,
  ) {
    super(message);
  }
}

export interface EnrollOptions {
  url: string;
  token: string;
  /** PEM of an extra CA to trust. */
  caPem?: string;
  proxy?: string;
  agentVersion: string;
  timeoutMs?: number;
}

export function enroll(opts: EnrollOptions): Promise<EnrollResponse> {
  const target = new URL(ENROLL_PATH, opts.url);
  const body = JSON.stringify({
    token: opts.token,
    hostname: hostname().slice(0, 253),
    agentVersion: opts.agentVersion,
  });
  return new Promise((resolve, reject) => {
    const req = request(
      target,
      {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) },
        ...trustOptions(opts.caPem),
        timeout: opts.timeoutMs ?? 30_000,
        ...(opts.proxy ? { agent: tunnelAgent(opts.proxy) } : {}),
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          let doc: Record<string, unknown> = {};
          try {
            doc = JSON.parse(text) as Record<string, unknown>;
          } catch {
            // not JSON: reported by status below
          }
          if (res.statusCode !== 200) {
            const why = typeof doc.message === 'string' ? doc.message : `HTTP ${res.statusCode}`;
            return reject(new EnrollError(`enrollment refused: ${why}`, res.statusCode));
          }
          if (typeof doc.machine !== 'string' || typeof doc.token !== 'string') {
            return reject(new EnrollError('enrollment answer without machine and token', res.statusCode));
          }
          resolve({ machine: doc.machine, token: doc.token });
        });
      },
    );
    req.on('timeout', () => req.destroy(new Error('timed out')));
    req.on('error', (err) => reject(new EnrollError(`cannot reach the control plane: ${err.message}`)));
    req.end(body);
  });
}
