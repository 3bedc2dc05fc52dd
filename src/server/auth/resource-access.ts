import { roleIn } from './access.js';
import type { AuthUser } from '../context.js';
import { forbidden, notFound } from '../http/errors.js';
import type { BoxDoc } from '../boxes/store.js';
import type { Db } from '../store/db.js';
import { getInstance, type InstanceDoc } from '../instances/store.js';

/**
 * Whether the user may read a box: it is owned by one of the user's workspaces. Every box read
 * (GET, nesting, deploy) goes through this one rule.
 */
export async function canReadBox(db: Db, user: AuthUser, box: BoxDoc): Promise<boolean> {
  return (await roleIn(db, user.id, box.owner)) !== undefined;
}

/** An instance the user may read (a member of its owner workspace); 404 / 403 otherwise. */
export async function readableInstance(db: Db, user: AuthUser, id: string): Promise<InstanceDoc> {
  const doc = await getInstance(db, id);
  if (!doc) throw notFound('Instance', id);
  if (!(await roleIn(db, user.id, doc.owner))) throw forbidden(`You have no access to instance ${id}`);
  return doc;
}
