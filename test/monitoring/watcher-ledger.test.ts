/**
 * quality.md NL-6 for the Watcher: over a run with a server outage long enough to overflow a small
 * spool, every result the Watcher emitted is accounted for on the server:
 * accepted + reported dropped + rejected == emitted.
 */
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { testDatabaseUrl } from '../helpers/store.js';
import { startServer } from '../../src/server/start.js';
import { Watcher } from '../../src/watcher/watcher.js';
import { createCheck } from './helpers.js';
import { fastMonitoring, seedMachine, until, type SeededMachine } from './watcher-helpers.js';

let t: TestServer;
let m: SeededMachine;

beforeAll(async () => {
  fastMonitoring();
  t = await startTestServer();
  m = await seedMachine(t, ['ledger']);
});
afterAll(async () => {
  await t.stop();
  rmSync(m.dir, { recursive: true, force: true });
});

describe('NL-6 Watcher ledger', () => {
  it('accounts for every result across a disconnection that overflows the spool', { timeout: 90_000 }, async () => {
    const check = await createCheck(t, {
      name: 'tick',
      command: 'echo "OK tick | n=1"',
      interval: 1,
      target: { tags: ['ledger'] },
    });
    const watcher = new Watcher({
      server: t.url,
      ca: readFileSync(join(t.dataDir, 'tls', 'ca.pem'), 'utf8'),
      stateDir: join(m.dir, 'state'),
      machineToken: () => m.token,
      spoolMax: 3,
    });
    await watcher.start();
    try {
      const ledger = () =>
        t.server.db
          .selectFrom('watchers')
          .selectAll()
          .where('machine', '=', m.machine)
          .where('revoked', '=', 0)
          .executeTakeFirstOrThrow();
      await until(async () => (await ledger()).accepted >= 2 || undefined, 30_000, 'first results accepted');

      // Outage: the server goes away until the Watcher has had to drop results from its spool.
      const port = t.server.port;
      await t.server.close();
      await until(() => watcher.ledgerNow.dropped >= 2 || undefined, 30_000, 'spool overflow');
      expect(watcher.spooled).toBe(3);
      t.server = await startServer({ dataDir: t.dataDir, port, database: await testDatabaseUrl(t.dataDir) });
      t.url = t.server.url;

      // Back: the spool drains. Then the check is removed, so emissions stop, and the books close.
      await until(async () => (await ledger()).dropped >= 2 || undefined, 30_000, 'dropped count reported');
      expect((await t.call('DELETE', `/services/msa/checks/${check.id}`)).status).toBe(204);
      await until(() => watcher.config?.checks.length === 0 || undefined, 30_000, 'check removed');
      const final = await until(
        async () => {
          const row = await ledger();
          const local = watcher.ledgerNow;
          return watcher.spooled === 0 && row.emitted === local.emitted && row.dropped === local.dropped
            ? row
            : undefined;
        },
        30_000,
        'ledger settled',
      );
      expect(final.dropped).toBeGreaterThanOrEqual(2);
      expect(final.accepted + final.dropped + final.rejected).toBe(final.emitted);
    } finally {
      await watcher.stop();
    }
  });
});
