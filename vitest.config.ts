import { configDefaults, defineConfig } from 'vitest/config';
import { NOT_ON_POSTGRES } from './test/setup/postgres-pass.js';

// The PostgreSQL pass leaves out the files test/setup/postgres-pass.ts lists, with its reasons.
const onPostgresPass = process.env.EBCLI_TEST_DATABASE === 'postgres' && process.env.EBCLI_TEST_PG_ALL !== '1';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    exclude: [...configDefaults.exclude, ...(onPostgresPass ? NOT_ON_POSTGRES : [])],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    pool: 'forks',
    // Every response checked against its route's schema, strictly (src/server/http/response-guard.ts).
    env: { EBCLI_CHECK_RESPONSES: '1' },
    // Teardowns run in reverse: the PostgreSQL test cluster stops before leftover processes are looked for.
    globalSetup: ['test/setup/leftover-processes.ts', 'test/setup/postgres.ts'],
    reporters: ['default', './test/setup/summary-reporter.ts'],
  },
});
