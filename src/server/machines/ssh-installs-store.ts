/** The hosts SSH providers set up machines on (migration 0009). */
import type { Transaction } from 'kysely';
import type { Db } from '../store/db.js';
import type { Database, SshInstallsTable } from '../store/schema.js';
import { timestamp } from '../../shared/time.js';

type Conn = Db | Transaction<Database>;

export async function getSshInstall(db: Conn, machineName: string): Promise<SshInstallsTable | undefined> {
  return db.selectFrom('ssh_installs').selectAll().where('machine_name', '=', machineName).executeTakeFirst();
}

/**
 * Takes the first of `hosts` no machine holds (of any SSH provider: one agent per host), for
 * `machineName` (the same host again when it holds one already); undefined when all are taken.
 */
export async function takeSshHost(
  db: Db,
  args: {
    machineName: string;
    providerId: string;
    workspace: string;
    instanceId: string;
    hosts: string[];
    sudo: boolean;
  },
): Promise<SshInstallsTable | undefined> {
  return db.transaction().execute(async (trx) => {
    const mine = await getSshInstall(trx, args.machineName);
    if (mine) return mine;
    if (!args.hosts.length) return undefined;
    const rows = await trx
      .selectFrom('ssh_installs')
      .select('host')
      .where('provider_id', '=', args.providerId)
      .execute();
    const taken = new Set(rows.map((r) => r.host));
    const host = args.hosts.find((h) => !taken.has(h));
    if (!host) return undefined;
    const row: SshInstallsTable = {
      machine_name: args.machineName,
      provider_id: args.providerId,
      workspace: args.workspace,
      instance_id: args.instanceId,
      host,
      sudo: args.sudo ? 1 : 0,
      enrollment_id: null,
      created: timestamp(),
    };
    await trx.insertInto('ssh_installs').values(row).execute();
    return row;
  });
}

export async function setSshEnrollment(db: Conn, machineName: string, enrollmentId: string): Promise<void> {
  await db
    .updateTable('ssh_installs')
    .set({ enrollment_id: enrollmentId })
    .where('machine_name', '=', machineName)
    .execute();
}

export async function deleteSshInstall(db: Conn, machineName: string): Promise<void> {
  await db.deleteFrom('ssh_installs').where('machine_name', '=', machineName).execute();
}
