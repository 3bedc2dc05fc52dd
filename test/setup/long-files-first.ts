import { relative } from 'node:path';
import { BaseSequencer, type TestSpecification } from 'vitest/node';

/**
 * The files that take longest (load tests, fault campaigns, failover and agent-death scenarios), in
 * that order. They mostly wait on servers, agents and timers, so they start first and run beside
 * the many short files; started last (vitest's order on a fresh clone, where it has no timings
 * yet), they would leave a tail where one worker runs and the others idle.
 */
export const LONG_FILES = [
  'test/faults/campaigns.test.ts',
  'test/cli/help-fast.test.ts',
  'test/e2e/agent-death-restart.test.ts',
  'test/cli/apply-retry.test.ts',
  'test/cli/boxes-folder.test.ts',
  'test/agent/reconnect-memory.test.ts',
  'test/e2e/agent-unreachable-exit.test.ts',
  'test/console/console.test.ts',
  'test/events/slow-consumer.test.ts',
  'test/e2e/host-a-ssh.test.ts',
  'test/e2e/auto-reconfigure.test.ts',
  'test/e2e/replicas-haproxy.test.ts',
  'test/cli/output.test.ts',
];

export default class LongFilesFirst extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    const rank = (f: TestSpecification) => {
      const i = LONG_FILES.indexOf(relative(process.cwd(), f.moduleId));
      return i === -1 ? LONG_FILES.length : i;
    };
    const sorted = await super.sort(files);
    return sorted
      .map((f, i) => ({ f, i }))
      .sort((a, b) => rank(a.f) - rank(b.f) || a.i - b.i)
      .map(({ f }) => f);
  }
}
