import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, serverConfig } from '../../src/server/config.js';
import { DEFAULT_LISTENER } from '../../src/server/http/listener.js';
import { startServer } from '../../src/server/start.js';
import { DEFAULT_TUNABLES } from '../../src/server/workflows/env.js';

// The server's tunables: one object, read from the environment once and checked.
describe('server configuration', () => {
  it('defaults, and the environment’s values in every part', () => {
    expect(serverConfig({})).toMatchObject({ workflows: DEFAULT_TUNABLES, listener: DEFAULT_LISTENER });
    const c = serverConfig({
      EBCLI_PING_INTERVAL_MS: '1000',
      EBCLI_REQUEST_TIMEOUT_MS: '5000',
      EBCLI_EVENTS_MAX_AGE: '2h',
    });
    expect(c.workflows.pingIntervalMs).toBe(1000);
    expect(c.listener.requestTimeoutMs).toBe(5000);
    expect(c.events.retentionMaxAgeMs).toBe(2 * 3_600_000);
    // Tails follow the agent channel's P unless told otherwise.
    expect(c.events.pingIntervalMs).toBe(1000);
  });

  it('holds the console settings too, read once (they were read from the environment on every request)', () => {
    expect(serverConfig({}).console).toEqual({ sessionTtlMs: 12 * 3_600_000 });
    const c = serverConfig({ EBCLI_SESSION_TTL_MS: '60000', EBCLI_CONSOLE_ORIGIN: 'https://cam.example.test/' });
    expect(c.console).toEqual({ sessionTtlMs: 60_000, origin: 'https://cam.example.test' });
    // A value the console cannot use stops the server with its name, instead of a silent default.
    expect(() => serverConfig({ EBCLI_SESSION_TTL_MS: '10' })).toThrow(/EBCLI_SESSION_TTL_MS="10"/);
    expect(() => serverConfig({ EBCLI_CONSOLE_ORIGIN: 'cam.example.test/console' })).toThrow(
      /EBCLI_CONSOLE_ORIGIN="cam.example.test\/console" is not an origin/,
    );
  });

  it('names every unusable value at once instead of ignoring it', () => {
    const bad = () =>
      serverConfig({
        EBCLI_PING_INTERVAL_MS: 'fast',
        EBCLI_WORKFLOW_CONCURRENCY: '2.5',
        EBCLI_EVENTS_MAX_AGE: '-1h',
        EBCLI_IDLE_TIMEOUT_MS: '0',
      });
    expect(bad).toThrow(ConfigError);
    try {
      bad();
    } catch (err) {
      expect((err as ConfigError).problems).toEqual([
        'EBCLI_PING_INTERVAL_MS="fast" is not a positive number',
        'EBCLI_WORKFLOW_CONCURRENCY="2.5" is not a positive whole number',
        'EBCLI_IDLE_TIMEOUT_MS="0" is not a positive number',
        'EBCLI_EVENTS_MAX_AGE="-1h" is not a positive duration (500ms, 30s, 5m, 24h, 7d or milliseconds)',
      ]);
    }
  });

  it('a server with an unusable value refuses to start and touches nothing', async () => {
    const dataDir = join(mkdtempSync(join(tmpdir(), 'ebcli-config-')), 'data');
    const saved = process.env.EBCLI_TAIL_POLL;
    process.env.EBCLI_TAIL_POLL = 'often';
    try {
      await expect(startServer({ dataDir, port: 0 })).rejects.toThrow(/EBCLI_TAIL_POLL="often"/);
    } finally {
      if (saved === undefined) delete process.env.EBCLI_TAIL_POLL;
      else process.env.EBCLI_TAIL_POLL = saved;
      rmSync(join(dataDir, '..'), { recursive: true, force: true });
    }
  });
});
