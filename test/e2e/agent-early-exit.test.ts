import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer } from '../../src/server/start.js';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { activityTexts, createBox, deploy, fastTunables, killAgents, settled } from './helpers.js';
import { testDatabaseUrl } from '../helpers/store.js';

// An agent that exits at once fails the deploy with the cause from its log, not after the
// connect timeout (issue 10). The agent command is replaced by a shell that fails like an agent
// that cannot start would; everything else (server, provider, workflow) is real.

const CAUSE = 'agent: cannot read the token file: EACCES (permission denied)';
let t: TestServer;

beforeAll(async () => {
  fastTunables();
  t = await startTestServer();
  await t.server.close();
  t.server = await startServer({
    dataDir: t.dataDir,
    database: await testDatabaseUrl(t.dataDir),
    port: 0,
    // Far longer than the test's own timeout: only the early-exit check can end the wait in time.
    tunables: { agentConnectTimeoutMs: 10 * 60_000 },
    agentCommand: (flags) => ({
      command: '/bin/sh',
      args: ['-c', `echo starting; echo "${CAUSE}" >&2; exit 3`, 'agent', ...flags],
    }),
  });
  t.url = t.server.url;
});
afterAll(async () => {
  await t.server.close();
  await killAgents(t.dataDir);
  await t.stop().catch(() => undefined);
});

describe('an agent that exits at once', () => {
  it('fails the deploy with the tail of its log', { timeout: 60_000 }, async () => {
    const box = await createBox(t, { name: 'Never Runs', events: { install: '#!/bin/bash\necho never\n' } });
    const res = await deploy(t, box.id, 'Early Exit');
    expect(res.status).toBe(202);
    const doc = await settled(t, res.body.id, undefined, 45_000);
    expect(doc.state).toBe('unavailable');
    const texts = (await activityTexts(t, res.body.id)).join('\n');
    expect(texts).toContain('exited before it connected');
    expect(texts).toContain(CAUSE);
    expect(texts).not.toContain('did not connect within');
  });
});
