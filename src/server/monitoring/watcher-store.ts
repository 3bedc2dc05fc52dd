import type { Db } from '../store/db.js';
import { getRegisteredMachine, REGISTERED_MACHINE_ID } from '../machines/registered-store.js';
import { getMachine } from '../workflows/store/machines.js';
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

/** The machine a Watcher's results are stored for, and that machine's instance ('' for none). */
export interface Serving {
  machine: string;
  instanceId: string;
}

/**
 * Whom a Watcher reports for: its own machine; for a registered machine (an enrolled host, whose
 * Watcher enrolled under its `rm-…` id), the deploy's machine that holds it while an instance
 * runs there, else the host itself with no instance (no checks to run). Undefined once the host
 * was removed (`machines remove`): its Watcher is refused from then on.
 */
export async function servingOf(db: Db, row: WatchersTable): Promise<Serving | undefined> {
  if (!REGISTERED_MACHINE_ID.test(row.machine)) return { machine: row.machine, instanceId: row.instance_id };
  const host = await getRegisteredMachine(db, row.machine);
  if (!host) return undefined;
  const held = host.machineName ? await getMachine(db, host.machineName) : undefined;
  return held && held.state !== 'terminated'
    ? { machine: held.name, instanceId: held.instanceId }
    : { machine: row.machine, instanceId: '' };
}
