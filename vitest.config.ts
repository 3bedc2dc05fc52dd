import { configDefaults, defineConfig } from 'vitest/config';
import { NOT_ON_POSTGRES } from './test/setup/postgres-pass.js';
import LongFilesFirst from './test/setup/long-files-first.js';

// The PostgreSQL pass leaves out the files test/setup/postgres-pass.ts lists, with its reasons.
const onPostgresPass = process.env.EBCLI_TEST_DATABASE === 'postgres' && process.env.EBCLI_TEST_PG_ALL !== '1';
const exclude = [...configDefaults.exclude, ...(onPostgresPass ? NOT_ON_POSTGRES : [])];

/**
 * Load tests with a latency target (quality.md L2: results acknowledged within 1 s at p99) run
 * after every other file, with nothing beside them: four workers sharing two cores would be
 * measured instead of the control plane.
 */
const ALONE = ['test/monitoring/fleet-l2.test.ts'];

const perFile = {
  testTimeout: 30_000,
  hookTimeout: 60_000,
  pool: 'forks',
  // A worker runs its test files one after another in one process, its modules loaded once: a
  // fresh process and module graph per file cost more CPU than most files' tests. What files
  // change in process.env is put back after each (test/setup/file-environment.ts).
  isolate: false,
  setupFiles: ['test/setup/file-environment.ts'],
  // Every response checked against its route's schema, strictly (src/server/http/response-guard.ts).
  env: { EBCLI_CHECK_RESPONSES: '1' },
} as const;

export default defineConfig({
  test: {
    // Teardowns run in reverse: the PostgreSQL test cluster stops before leftover processes are looked for.
    globalSetup: ['test/setup/leftover-processes.ts', 'test/setup/postgres.ts'],
    reporters: ['default', './test/setup/summary-reporter.ts'],
    // A run-wide option: projects' own sequencers are not used.
    sequence: { sequencer: LongFilesFirst },
    projects: [
      {
        test: {
          ...perFile,
          name: 'suite',
          include: ['test/**/*.test.ts'],
          exclude: [...exclude, ...ALONE],
          // Test files wait on servers, agents, child processes and timers far more than they
          // compute: several run at once (vitest's default on 2 cores is one). EBCLI_TEST_WORKERS
          // overrides the count.
          maxWorkers: Number(process.env.EBCLI_TEST_WORKERS ?? 4),
          sequence: { groupOrder: 0 },
        },
      },
      {
        test: {
          ...perFile,
          name: 'alone',
          include: ALONE,
          exclude,
          maxWorkers: 1,
          sequence: { groupOrder: 1 },
        },
      },
    ],
  },
});
