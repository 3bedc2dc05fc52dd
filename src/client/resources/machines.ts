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

  remove(id: string): Promise<undefined> {
    return this.send('DELETE', servicePath('machines', id));
  }
}
