import { memberWorkspaces, roleIn } from './access.js';
import type { AuthUser } from './context.js';
import { forbidden, notFound } from './errors.js';
import { getBox, type BoxDoc } from './store/boxes.js';
import type { Db } from './store/db.js';
import { getInstance, type InstanceDoc } from './store/instances.js';

type Member = { role?: string; workspace?: string };

/**
 * Whether the user may read a box: it is owned by one of the user's workspaces, shared with one
 * through `members`, or visible to the organization or the public. A version follows its draft.
 */
export async function canReadBox(db: Db, user: AuthUser, box: BoxDoc): Promise<boolean> {
  const mine = new Set(await memberWorkspaces(db, user.id));
  const readable = (b: BoxDoc) =>
    mine.has(b.owner) ||
    b.visibility === 'public' ||
    b.visibility === 'organization' ||
    ((b.members as Member[] | undefined) ?? []).some((m) => typeof m.workspace === 'string' && mine.has(m.workspace));
  if (readable(box)) return true;
  const parent = box.version?.box ? await getBox(db, box.version.box) : undefined;
  return parent ? readable(parent) : false;
}

/** An instance the user may read (a member of its owner workspace); 404 / 403 otherwise. */
export async function readableInstance(db: Db, user: AuthUser, id: string): Promise<InstanceDoc> {
  const doc = await getInstance(db, id);
  if (!doc) throw notFound('Instance', id);
  if (!(await roleIn(db, user.id, doc.owner))) throw forbidden(`You have no access to instance ${id}`);
  return doc;
}
