import { describe, expect, it } from 'vitest';
import { SERVER_MALLOC_TUNABLE, serverProcessEnv } from '../../src/shared/server-process-env.js';

// The malloc setting the CLI starts the control plane with (T4, issue 12). That the detached
// server really runs with it is checked on a real `server start` in test/server/data-dir-lock.test.ts.
describe('serverProcessEnv', () => {
  it('adds the mmap threshold to GLIBC_TUNABLES and keeps the rest of the environment', () => {
    expect(serverProcessEnv({ PATH: '/bin' })).toEqual({ PATH: '/bin', GLIBC_TUNABLES: SERVER_MALLOC_TUNABLE });
    expect(serverProcessEnv({ GLIBC_TUNABLES: 'glibc.malloc.arena_max=2' }).GLIBC_TUNABLES).toBe(
      `glibc.malloc.arena_max=2:${SERVER_MALLOC_TUNABLE}`,
    );
  });

  it("leaves a threshold the user set alone, in either of glibc's spellings", () => {
    const tuned = { GLIBC_TUNABLES: 'glibc.malloc.arena_max=2:glibc.malloc.mmap_threshold=131072' };
    expect(serverProcessEnv(tuned)).toEqual(tuned);
    expect(serverProcessEnv({ MALLOC_MMAP_THRESHOLD_: '4096' })).toEqual({ MALLOC_MMAP_THRESHOLD_: '4096' });
  });
});
