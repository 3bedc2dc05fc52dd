import type { Db } from '../store/db.js';
import type { WatchersTable } from './tables.js';

export async function watcherByUsername(db: Db, username: string): Promise<WatchersTable | undefined> {
  return db.selectFrom('watchers').selectAll().where('username', '=', username).executeTakeFirst();
}

export async function watchersOfInstance(db: Db, instanceId: string): Promise<WatchersTable[]> {
  return db.selectFrom('watchers').selectAll().where('instance_id', '=', instanceId).orderBy('created').execute();
}

/** Served shape: never the password hash. */
export function serveWatcher(w: WatchersTable) {
  return {
    username: w.username,
    machine: w.machine,
    instance: w.instance_id,
    owner: w.workspace,
    revoked: w.revoked === 1,
    last_seen: w.last_seen,
    ledger: { accepted: w.accepted, rejected: w.rejected, emitted: w.emitted, dropped: w.dropped },
    created: w.created,
  };
}
