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
    // Teardowns run in reverse: the PostgreSQL test cluster stops before leftover processes are looked for.
    globalSetup: ['test/setup/leftover-processes.ts', 'test/setup/postgres.ts'],
    reporters: ['default', './test/setup/summary-reporter.ts'],
  },
});
