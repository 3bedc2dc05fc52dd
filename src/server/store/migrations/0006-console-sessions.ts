import type { Kysely, Migration } from 'kysely';

/**
 * Console sign-ins (issue 15): one row per browser session. Only the SHA-256 of the cookie's value
 * is kept (like API tokens); `csrf` is the token the page must echo in `X-CSRF-Token`; `expires`
 * is an ISO time after which the row authenticates nothing (expired rows are pruned on sign-in).
 */
export const consoleSessions: Migration = {
  async up(db: Kysely<unknown>) {
    await db.schema
      .createTable('console_sessions')
      .addColumn('hash', 'text', (c) => c.primaryKey())
      .addColumn('user_id', 'text', (c) => c.notNull())
      .addColumn('csrf', 'text', (c) => c.notNull())
      .addColumn('created', 'text', (c) => c.notNull())
      .addColumn('expires', 'text', (c) => c.notNull())
      .execute();
    await db.schema.createIndex('console_sessions_user').on('console_sessions').column('user_id').execute();
  },
};
