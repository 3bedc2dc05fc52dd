import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    pool: 'forks',
    // Teardowns run in reverse: the PostgreSQL test cluster stops before leftover processes are looked for.
    globalSetup: ['test/setup/leftover-processes.ts', 'test/setup/postgres.ts'],
    reporters: ['default', './test/setup/summary-reporter.ts'],
  },
});
