import { hashPassword, hashToken, newToken } from '../auth/security.js';
import { schemaUrl, toDoc } from '../store/docs.js';
import { newUuid } from '../../shared/ids.js';
import { timestamp } from '../../shared/time.js';
import { USERNAME } from '../../shared/identifiers.js';
import type { Transaction } from 'kysely';
import type { Db } from '../store/db.js';
import type { Database } from '../store/schema.js';

type Conn = Db | Transaction<Database>;

export { USERNAME };

export interface NewUser {
  username: string;
  email: string;
  password: string;
  isAdmin?: boolean;
  /** The password's hash when the caller computed it already (outside a transaction). */
  passwordHash?: string;
}

/**
 * Creates a user together with the personal workspace that shares its id. Pass a transaction
 * to make it part of a larger write; otherwise it runs in one of its own.
 */
export async function createUser(db: Conn, input: NewUser): Promise<void> {
  if (!USERNAME.test(input.username)) throw new Error(`invalid username: ${input.username}`);
  const now = timestamp();
  const passwordHash = input.passwordHash ?? (await hashPassword(input.password));
  if (!db.isTransaction) {
    await db.transaction().execute((trx) => insertUser(trx, input, passwordHash, now));
    return;
  }
  await insertUser(db, input, passwordHash, now);
}

async function insertUser(trx: Conn, input: NewUser, passwordHash: string, now: string): Promise<void> {
  const doc = {
    id: input.username,
    name: input.username,
    email: input.email,
    organization: 'public',
    add_provider: true,
    deploy_instance: true,
    take_tour: false,
    group_dns: [],
    uri: `/services/workspaces/${input.username}`,
    schema: schemaUrl('workspaces/personal'),
    created: now,
    updated: now,
    deleted: null,
  };
  {
    await trx
      .insertInto('users')
      .values({
        id: input.username,
        email: input.email,
        password_hash: passwordHash,
        is_admin: input.isAdmin ? 1 : 0,
        created: now,
        updated: now,
      })
      .execute();
    await trx
      .insertInto('workspaces')
      .values({
        id: input.username,
        kind: 'personal',
        owner: input.username,
        name: input.username,
        doc: toDoc(doc),
        created: now,
        updated: now,
      })
      .execute();
    await trx
      .insertInto('memberships')
      .values({ workspace_id: input.username, member: input.username, role: 'owner' })
      .execute();
  }
}

export interface IssuedToken {
  id: string;
  value: string;
  description: string;
  created: string;
}

/** Issues an API token for the user; only its hash is stored, so the value is returned once. */
export async function issueToken(
  db: Conn,
  userId: string,
  description: string,
  value = newToken(),
): Promise<IssuedToken> {
  const row = {
    id: newUuid(),
    user_id: userId,
    hash: hashToken(value),
    description,
    created: timestamp(),
    last_used: null,
  };
  await db.insertInto('tokens').values(row).execute();
  return { id: row.id, value, description, created: row.created };
}
