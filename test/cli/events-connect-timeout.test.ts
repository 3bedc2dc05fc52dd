import { createServer } from 'node:net';
import { afterAll, describe, expect, it } from 'vitest';
import { ensureBuilt, runCli, tempHome } from './helpers.js';

/** An ephemeral port with nothing listening on it (bound, then closed). */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

describe('events -f against a server it never reached', () => {
  ensureBuilt();
  const home = tempHome();
  afterAll(() => home.cleanup());

  it('gives up after --connect-timeout with exit 7 (JSON envelope too)', async () => {
    const port = await closedPort();
    const env = { ...home.env, EBCLI_URL: `https://127.0.0.1:${port}`, EBCLI_TOKEN: 'unused' };
    const r = await runCli(['events', '-f', '--connect-timeout', '1s'], { env, timeoutMs: 20_000 });
    expect(r.signal).toBeNull(); // ended by itself, not by the test's kill
    expect(r.code).toBe(7);
    expect(r.stderr).toContain('no connection to the server within 1 s');
    expect(r.stderr).toContain('--connect-timeout');
    const json = await runCli(['events', '-f', '--connect-timeout', '500ms', '--json'], { env, timeoutMs: 20_000 });
    expect(json.code).toBe(7);
    expect(json.json().error).toMatchObject({ code: 'unreachable', exitCode: 7 });
  }, 45_000);
});
