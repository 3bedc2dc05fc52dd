import type { OrgUser } from '../types.js';
import { Resource, servicePath } from './base.js';

/** The organization every ebcli control plane serves (CAM's `public`). */
export const DEFAULT_ORGANIZATION = 'public';

export interface NewUser {
  username: string;
  email: string;
  /** The initial password; sent in the body only, never in a URL. */
  password: string;
  is_admin?: boolean;
}

/** Users of an organization; managing them needs an organization admin's token. */
export class Users extends Resource {
  list(org = DEFAULT_ORGANIZATION): Promise<OrgUser[]> {
    return this.get(servicePath('organizations', org, 'users'));
  }

  create(user: NewUser, org = DEFAULT_ORGANIZATION): Promise<OrgUser> {
    return this.send('POST', servicePath('organizations', org, 'users'), { body: user });
  }

  delete(username: string, org = DEFAULT_ORGANIZATION): Promise<void> {
    return this.send('DELETE', servicePath('organizations', org, 'users', username));
  }
}
