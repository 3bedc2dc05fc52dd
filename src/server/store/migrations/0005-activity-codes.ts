import type { Kysely, Migration } from 'kysely';

/**
 * Failure activity entries carry a machine-readable `code` (shared/errors.ts), e.g.
 * `agent_unreachable`, so clients act on why an operation failed without reading its wording.
 */
export const activityCodes: Migration = {
  async up(db: Kysely<unknown>) {
    await db.schema.alterTable('activities').addColumn('code', 'text').execute();
  },
};
