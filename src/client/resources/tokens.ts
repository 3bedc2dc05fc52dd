import type { Token, UserProfile } from '../types.js';
import { Resource, servicePath } from './base.js';

export class Tokens extends Resource {
  list(): Promise<Token[]> {
    return this.get(servicePath('tokens'));
  }

  /** Creates an API token; `value` is only ever returned here. */
  create(description: string): Promise<Token & { value: string }> {
    return this.send('POST', servicePath('tokens'), { body: { description } });
  }

  delete(id: string): Promise<void> {
    return this.send('DELETE', servicePath('tokens', id));
  }

  /** Exchanges email and password for a session token (the body is the raw token). */
  async login(email: string, password: string): Promise<string> {
    const token = await this.send<string>('POST', servicePath('security', 'token'), { body: { email, password } });
    return String(token).trim();
  }
}

export class Profile extends Resource {
  /** The current user; `workspace` is the default workspace. */
  retrieve(): Promise<UserProfile> {
    return this.get(servicePath('profile'));
  }
}
