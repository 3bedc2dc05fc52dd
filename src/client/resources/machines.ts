import type { Enrollment, RegisteredMachine } from '../types.js';
import { Resource, servicePath } from './base.js';

/** Registered machines: hosts running the installed agent (issue 11). */
export class Machines extends Resource {
  list(owner?: string): Promise<RegisteredMachine[]> {
    const path = servicePath('machines');
    return this.get(owner ? `${path}?owner=${encodeURIComponent(owner)}` : path);
  }

  retrieve(id: string): Promise<RegisteredMachine> {
    return this.get(servicePath('machines', id));
  }

  /** Mints a one-time enrollment token valid for `expiresInSeconds` (default 1 h). */
  register(opts: { owner?: string; claims?: string[]; expiresInSeconds?: number } = {}): Promise<Enrollment> {
    const body: Record<string, unknown> = {};
    if (opts.owner) body.owner = opts.owner;
    if (opts.claims) body.claims = opts.claims;
    if (opts.expiresInSeconds !== undefined) body.expires_in = opts.expiresInSeconds;
    return this.send('POST', servicePath('machines', 'enrollments'), { body });
  }

  /**
   * Registers an existing Linux machine over ssh (CAM's register-instance-request): the control
   * plane connects with `privateKey`, installs the agent and answers once it has enrolled. The
   * key travels in the request body only. One attempt (not retried), allowed 3 minutes.
   */
  registerOverSsh(opts: {
    host: string;
    username: string;
    privateKey: string;
    passphrase?: string;
    fingerprint?: string;
    trustOnFirstUse?: boolean;
    sudo?: boolean;
    claims?: string[];
    owner?: string;
  }): Promise<RegisteredMachine> {
    const body: Record<string, unknown> = {
      schema: 'http://elasticbox.net/schemas/register-instance-request',
      unregistered_id: opts.host,
      linux_username: opts.username,
      private_key: opts.privateKey,
    };
    if (opts.passphrase) body.passphrase = opts.passphrase;
    if (opts.fingerprint) body.host_fingerprint = opts.fingerprint;
    if (opts.trustOnFirstUse) body.trust_on_first_use = true;
    if (opts.sudo) body.sudo = true;
    if (opts.claims) body.instance_tags = opts.claims;
    if (opts.owner) body.owner = opts.owner;
    return this.send('POST', servicePath('instances'), { body, timeoutMs: 180_000 });
  }

  remove(id: string): Promise<undefined> {
    return this.send('DELETE', servicePath('machines', id));
  }
}
