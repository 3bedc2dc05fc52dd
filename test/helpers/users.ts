import type { TestServer } from './server.js';
import { createUser, issueToken } from '../../src/server/workspaces/user-store.js';

/** Creates another user (and personal workspace) directly in the store; returns its token. */
export async function addUser(t: TestServer, username: string): Promise<string> {
  await createUser(t.server.db, { username, email: `${username}@example.test`, password: `${username}-password` });
  return (await issueToken(t.server.db, username, 'test')).value;
}
