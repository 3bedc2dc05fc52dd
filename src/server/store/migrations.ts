import { type Kysely, type Migration, type MigrationProvider, Migrator } from 'kysely';
import { initial } from './migrations/0001-initial.js';
import { events } from './migrations/0002-events.js';
import { workflows } from './migrations/0003-workflows.js';
import { reconfigure } from './migrations/0004-reconfigure.js';
import { activityCodes } from './migrations/0005-activity-codes.js';
import { consoleSessions } from './migrations/0006-console-sessions.js';
import { registeredMachines } from './migrations/0007-registered-machines.js';
import { monitoring } from './migrations/0008-monitoring.js';
import { sshInstalls } from './migrations/0009-ssh-installs.js';
import { fleetIndexes } from './migrations/0010-fleet-indexes.js';

/**
 * Versioned migrations, applied in name order on every start. Never edit a released
 * migration: add a new one. The same definitions run on SQLite and PostgreSQL.
 */
export const MIGRATIONS: Readonly<Record<string, Migration>> = {
  '0001_initial': initial,
  '0002_events': events,
  '0003_workflows': workflows,
  '0004_reconfigure': reconfigure,
  '0005_activity_codes': activityCodes,
  '0006_console_sessions': consoleSessions,
  '0007_registered_machines': registeredMachines,
  '0008_monitoring': monitoring,
  '0009_ssh_installs': sshInstalls,
  '0010_fleet_indexes': fleetIndexes,
};

class StaticProvider implements MigrationProvider {
  async getMigrations(): Promise<Record<string, Migration>> {
    return { ...MIGRATIONS };
  }
}

/** Applies every pending migration; throws with the failing migration's name. */
export async function migrateToLatest(db: Kysely<unknown>): Promise<string[]> {
  const migrator = new Migrator({ db, provider: new StaticProvider() });
  const { error, results } = await migrator.migrateToLatest();
  if (error) {
    const failed = results?.find((r) => r.status === 'Error');
    throw new Error(`migration ${failed?.migrationName ?? '?'} failed: ${String(error)}`);
  }
  return (results ?? []).map((r) => r.migrationName);
}
