import { afterAll } from 'vitest';

/**
 * Runs before every test file. Test files share their worker process (vitest.config.ts: `isolate:
 * false`), so what one file sets in `process.env` for the servers it starts (short timeouts, fast
 * keepalives) must not reach the next: the environment is put back as it was when the file ends.
 */
const before = { ...process.env };

afterAll(() => {
  for (const key of Object.keys(process.env)) if (!(key in before)) delete process.env[key];
  for (const [key, value] of Object.entries(before)) if (process.env[key] !== value) process.env[key] = value;
});
