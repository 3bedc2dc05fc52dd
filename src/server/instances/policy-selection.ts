import { memberWorkspaces } from '../auth/access.js';
import type { AuthUser } from '../context.js';
import { parseDoc, schemaName } from '../store/docs.js';
import { badRequest, forbidden } from '../http/errors.js';
import { canDeployWith } from '../providers/access.js';
import { canReadBox } from '../auth/resource-access.js';
import { getBox, type BoxDoc } from '../boxes/store.js';
import type { Db } from '../store/db.js';
import { getProvider, type ProviderDoc } from '../providers/store.js';

export const isPolicyBox = (box: BoxDoc): boolean => schemaName(box.schema) === 'boxes/policy';

const strings = (value: unknown): string[] =>
  Array.isArray(value) ? value.filter((x): x is string => typeof x === 'string') : [];

/** A box's requirements, which a policy's claims must cover. */
export const requirementsOf = (box: BoxDoc): string[] => strings(box.requirements);

/** A policy qualifies when its claims include every requirement (cam-api.md §3.1). */
export function claimsCover(policy: BoxDoc, requirements: string[]): boolean {
  const claims = new Set(strings(policy.claims));
  return requirements.every((r) => claims.has(r));
}

/** A policy box is used under the rule of every box read: no policy is shared by default (issue 10). */
export async function canUsePolicy(db: Db, user: AuthUser, policy: BoxDoc): Promise<boolean> {
  return canReadBox(db, user, policy);
}

/** Policy drafts the user may use, the instance owner's first, then the user's and their workspaces'. */
export async function candidatePolicies(db: Db, user: AuthUser, owner: string): Promise<BoxDoc[]> {
  const mine = await memberWorkspaces(db, user.id);
  const order = [...new Set([owner, user.id, ...mine])];
  const rows = await db
    .selectFrom('boxes')
    .select('doc')
    .where('owner', 'in', order)
    .where('parent_id', 'is', null)
    .where('schema', 'like', '%/boxes/policy')
    .orderBy('created')
    .execute();
  const rank = (b: BoxDoc) => order.indexOf(b.owner);
  return rows
    .map((r) => parseDoc<BoxDoc>(r.doc))
    .filter(isPolicyBox)
    .sort((a, b) => rank(a) - rank(b));
}

export interface PolicyChoice {
  policy: BoxDoc;
  provider: ProviderDoc;
}

async function providerProblem(
  db: Db,
  user: AuthUser,
  owner: string,
  policy: BoxDoc,
): Promise<{ provider?: ProviderDoc; problem?: string; denied?: boolean }> {
  const id = typeof policy.provider_id === 'string' ? policy.provider_id : undefined;
  if (!id) return { problem: `policy box ${policy.name} (${policy.id}) names no provider` };
  const provider = await getProvider(db, id);
  if (!provider) return { problem: `provider ${id} of policy box ${policy.name} does not exist` };
  if (!(await canDeployWith(db, user, owner, provider))) {
    return {
      denied: true,
      problem: `provider ${provider.name} (${id}) of policy box ${policy.name} is not shared with workspace ${owner}`,
    };
  }
  if (provider.state !== 'ready') {
    return {
      problem: `provider ${provider.name} (${id}) of policy box ${policy.name} is ${provider.state}, not ready`,
    };
  }
  return { provider };
}

/**
 * The policy box a deploy uses: the requested one, which must be a policy box the user may use,
 * or else the first candidate whose claims cover the requirements and whose provider is ready.
 */
export async function choosePolicy(
  db: Db,
  user: AuthUser,
  owner: string,
  requestedId: string | undefined,
  requirements: string[],
): Promise<PolicyChoice> {
  if (requestedId) {
    const policy = await getBox(db, requestedId);
    if (!policy) throw badRequest(`policy_box ${requestedId} not found`);
    if (!isPolicyBox(policy)) throw badRequest(`policy_box ${requestedId} (${policy.name}) is not a policy box`);
    if (!(await canUsePolicy(db, user, policy))) throw forbidden(`You have no access to policy box ${requestedId}`);
    const { provider, problem, denied } = await providerProblem(db, user, owner, policy);
    if (denied) throw forbidden(`Cannot deploy: ${problem}`);
    if (!provider) throw badRequest(`Cannot deploy: ${problem}`);
    return { policy, provider };
  }
  const qualifying = (await candidatePolicies(db, user, owner)).filter((p) => claimsCover(p, requirements));
  if (qualifying.length === 0) {
    const wanted = requirements.length ? requirements.join(', ') : '(none)';
    throw badRequest(`No deployment policy available to you has claims covering the box requirements: ${wanted}`);
  }
  let firstProblem: string | undefined;
  for (const policy of qualifying) {
    const { provider, problem } = await providerProblem(db, user, owner, policy);
    if (provider) return { policy, provider };
    firstProblem ??= problem;
  }
  throw badRequest(`Cannot deploy: ${firstProblem}`);
}
