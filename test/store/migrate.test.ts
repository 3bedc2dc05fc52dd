import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { startServer } from '../../src/server/start.js';
import { createBox, deploy, fastTunables, killAgents, settled } from '../e2e/helpers.js';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { freshPostgresDatabase, stopOwnCluster } from '../helpers/store.js';

const BIN = join(import.meta.dirname, '..', '..', 'bin', 'run.js');

/** Runs `ebcli server migrate` with the URL in EBCLI_DATABASE_URL (never in argv); resolves with its exit and output. */
function migrate(from: string, url: string, extra: string[] = []): Promise<{ code: number | null; out: string }> {
  const child = spawn(process.execPath, [BIN, 'server', 'migrate', '--from', from, ...extra], {
    env: { ...process.env, EBCLI_DATABASE_URL: url },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (out += d.toString()));
  return new Promise((resolve) => child.on('exit', (code) => resolve({ code, out })));
}

let t: TestServer | undefined;

afterAll(async () => {
  if (t) {
    await t.server.close().catch(() => undefined);
    await killAgents(t.dataDir);
    await t.stop().catch(() => undefined);
  }
  stopOwnCluster();
});

describe('ebcli server migrate --from <data-dir> --to postgres://', () => {
  it('copies an embedded control plane into PostgreSQL, where it keeps serving and runs instances', async () => {
    fastTunables();
    // The embedded control plane someone built: a box with a script, an instance deployed and
    // terminated (workflows, machine, executions, activities, events), an extra token.
    t = await startTestServer(undefined, { database: '' });
    const box = await createBox(t, { name: 'Hello', events: { install: 'echo installed-$EB_INSTANCE_ID\n' } });
    const first = (await deploy(t, box.id, 'first')).body;
    expect(await settled(t, first.id)).toMatchObject({ state: 'done' });
    expect((await t.call('DELETE', `/services/instances/${first.id}?operation=terminate`)).status).toBe(202);
    expect(await settled(t, first.id)).toMatchObject({ state: 'done', operation: { event: 'terminate_service' } });
    const token = await t.call('POST', '/services/tokens', { body: { description: 'ci' } });
    expect(token.status).toBe(200);
    const before = {
      boxes: (await t.call('GET', '/services/workspaces/admin/boxes')).body,
      instance: (await t.call('GET', `/services/instances/${first.id}`)).body,
      events: (await t.call('GET', '/services/events?since=0&limit=10000')).body.events,
      script: (await t.call('GET', box.events.install.url.replace(/^https:\/\/[^/]+/, ''))).text,
    };
    expect(before.events.length).toBeGreaterThan(5);

    // A running server holds the data directory: refused, nothing copied.
    const url = await freshPostgresDatabase();
    const busy = await migrate(t.dataDir, url);
    expect(busy.code).toBe(1);
    expect(busy.out).toMatch(/already using the data directory/);

    await t.server.close();
    const done = await migrate(t.dataDir, url);
    expect(done.code, done.out).toBe(0);
    expect(done.out).toMatch(/^boxes\t\d+$/m);
    expect(done.out).toMatch(/^blobs\t[1-9]\d*$/m);
    expect(done.out).not.toContain(url);

    // Copying again into a database that holds a control plane is refused.
    const again = await migrate(t.dataDir, url);
    expect(again.code).toBe(1);
    expect(again.out).toMatch(/already holds a control plane/);

    // The same data directory (TLS, admin token) now served from PostgreSQL.
    t.server = await startServer({ dataDir: t.dataDir, port: 0, database: url });
    t.url = t.server.url;
    expect((await t.call('GET', '/services/workspaces/admin/boxes')).body).toEqual(before.boxes);
    expect((await t.call('GET', `/services/instances/${first.id}`)).body).toEqual(before.instance);
    expect((await t.call('GET', '/services/events?since=0&limit=10000')).body.events).toEqual(before.events);
    expect((await t.call('GET', box.events.install.url.replace(/^https:\/\/[^/]+/, ''))).text).toBe(before.script);
    expect((await t.call('GET', '/services/instances', { token: token.body.value })).status).toBe(200);

    // New work on the copied store: identity keys, event sequences and workflows continue.
    const second = (await deploy(t, box.id, 'second')).body;
    expect(await settled(t, second.id)).toMatchObject({ state: 'done' });
    const events = (await t.call('GET', `/services/events?since=0&limit=10000`)).body.events as { seq: number }[];
    expect(events.map((e) => e.seq)).toEqual(events.map((_, i) => events[0]!.seq + i));
    expect((await t.call('DELETE', `/services/instances/${second.id}?operation=terminate`)).status).toBe(202);
    expect(await settled(t, second.id)).toMatchObject({ operation: { event: 'terminate_service' } });
  }, 120_000);
});
