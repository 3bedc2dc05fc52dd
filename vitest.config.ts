import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    pool: 'forks',
    globalSetup: ['test/setup/leftover-processes.ts'],
    reporters: ['default', './test/setup/summary-reporter.ts'],
  },
});
