import { memberWorkspaces, roleIn, type Role } from '../auth/access.js';
import type { AuthUser } from '../context.js';
import type { Db } from '../store/db.js';
import type { ProviderDoc } from './store.js';

/** A provider shared with another workspace (CAM's provider `members`). */
export type ProviderMember = { role: 'read' | 'collaborator'; workspace: string };

const membersOf = (doc: ProviderDoc): ProviderMember[] =>
  Array.isArray(doc.members) ? (doc.members as ProviderMember[]) : [];

/** The caller's role on a provider: through its owner workspace, else through `members`. */
export async function providerRole(db: Db, user: AuthUser, doc: ProviderDoc): Promise<Role | undefined> {
  const role = await roleIn(db, user.id, doc.owner);
  if (role) return role;
  const mine = new Set(await memberWorkspaces(db, user.id));
  const shared = membersOf(doc).filter((m) => mine.has(m.workspace));
  if (shared.some((m) => m.role === 'collaborator')) return 'collaborator';
  return shared.length ? 'read' : undefined;
}

/**
 * Whether `user` may create machines of workspace `workspace` with a provider: the workspace owns
 * the provider, or the provider's owner shared it with that workspace (`members`, any role), or the
 * user belongs to the provider's owner workspace. A provider is never usable by other workspaces
 * by default: the `local` one runs their scripts on the control plane's host (issue 10).
 */
export async function canDeployWith(db: Db, user: AuthUser, workspace: string, doc: ProviderDoc): Promise<boolean> {
  if (doc.owner === workspace) return true;
  if (membersOf(doc).some((m) => m.workspace === workspace)) return true;
  return (await roleIn(db, user.id, doc.owner)) !== undefined;
}
