import { hostname } from 'node:os';
import { randomBytes } from 'node:crypto';
import type { Db } from '../store/db.js';
import { isPostgres } from '../store/dialect.js';
import { toWorkflow } from './store/workflows.js';
import type { Workflow } from './types.js';

/**
 * Workflow leases: a worker owns a workflow while `lease_owner` is its id and `lease_expires`
 * (epoch ms) is in the future. Claiming, renewing and committing a step all check the owner in
 * the same statement, so a workflow never runs in two workers at once.
 */

/** A worker id: host, pid and a random part, so a restarted process never reuses one. */
export function newOwnerId(): string {
  return `${hostname()}/${process.pid}/${randomBytes(4).toString('hex')}`;
}

/** Thrown when a worker finds that its lease on a workflow has passed to another worker. */
export class LeaseLostError extends Error {
  override readonly name = 'LeaseLostError';
  constructor(workflowId: string) {
    super(`lease on workflow ${workflowId} was lost`);
  }
}

/** Claims the oldest runnable workflow (open, lease free or expired) for `owner`. */
export async function claimNext(
  db: Db,
  owner: string,
  leaseMs: number,
  exclude: string[] = [],
): Promise<Workflow | undefined> {
  const now = Date.now();
  if (isPostgres(db)) return claimNextSkipLocked(db, owner, leaseMs, exclude, now);
  for (let attempt = 0; attempt < 5; attempt++) {
    let q = db
      .selectFrom('workflows')
      .select('id')
      .where('state', 'in', ['pending', 'running'])
      .where('lease_expires', '<', now)
      .orderBy('created')
      .limit(1);
    if (exclude.length) q = q.where('id', 'not in', exclude);
    const candidate = await q.executeTakeFirst();
    if (!candidate) return undefined;
    const row = await db
      .updateTable('workflows')
      .set({ lease_owner: owner, lease_expires: now + leaseMs, state: 'running' })
      .where('id', '=', candidate.id)
      .where('state', 'in', ['pending', 'running'])
      .where('lease_expires', '<', now)
      .returningAll()
      .executeTakeFirst();
    if (row) return toWorkflow(row);
  }
  return undefined;
}

/**
 * PostgreSQL, where several replicas claim at once: one statement picks the oldest runnable row
 * that no other transaction has locked (`FOR UPDATE SKIP LOCKED`) and takes its lease, so
 * concurrent claimers never wait on each other nor take the same workflow.
 */
async function claimNextSkipLocked(
  db: Db,
  owner: string,
  leaseMs: number,
  exclude: string[],
  now: number,
): Promise<Workflow | undefined> {
  const row = await db
    .updateTable('workflows')
    .set({ lease_owner: owner, lease_expires: now + leaseMs, state: 'running' })
    .where('id', '=', (eb) => {
      let q = eb
        .selectFrom('workflows')
        .select('id')
        .where('state', 'in', ['pending', 'running'])
        .where('lease_expires', '<', now);
      if (exclude.length) q = q.where('id', 'not in', exclude);
      return q.orderBy('created').limit(1).forUpdate().skipLocked();
    })
    .returningAll()
    .executeTakeFirst();
  return row ? toWorkflow(row) : undefined;
}

/** Extends a lease; false when the lease is no longer ours. */
export async function renewLease(db: Db, id: string, owner: string, leaseMs: number): Promise<boolean> {
  const r = await db
    .updateTable('workflows')
    .set({ lease_expires: Date.now() + leaseMs })
    .where('id', '=', id)
    .where('lease_owner', '=', owner)
    .where('state', '=', 'running')
    .executeTakeFirst();
  return r.numUpdatedRows === 1n;
}

/** Gives a lease up at once (graceful stop), so the next worker need not wait for it to expire. */
export async function releaseLease(db: Db, id: string, owner: string): Promise<void> {
  await db
    .updateTable('workflows')
    .set({ lease_expires: 0, lease_owner: null })
    .where('id', '=', id)
    .where('lease_owner', '=', owner)
    .execute();
}

const processAlive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
};

/**
 * Frees leases held by dead processes of this host (a SIGKILLed server), so a restart resumes
 * their workflows at once instead of waiting for the leases to expire (embedded SQLite store only,
 * which one host owns). Returns how many.
 */
export async function reclaimDeadOwners(db: Db): Promise<number> {
  // On PostgreSQL the owner may be a replica on another machine (or a container) with the same
  // host name, whose pids this process cannot see: only the lease timeout frees its workflows.
  if (isPostgres(db)) return 0;
  const host = hostname();
  const rows = await db
    .selectFrom('workflows')
    .select(['id', 'lease_owner'])
    .where('state', 'in', ['pending', 'running'])
    .where('lease_expires', '>=', Date.now())
    .execute();
  let freed = 0;
  for (const r of rows) {
    const [h, pid] = (r.lease_owner ?? '').split('/');
    if (h !== host || !pid || pid === String(process.pid) || processAlive(Number(pid))) continue;
    await releaseLease(db, r.id, r.lease_owner as string);
    freed++;
  }
  return freed;
}
