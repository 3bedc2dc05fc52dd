import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { WebSocket } from 'ws';
import { startServer } from '../../src/server/start.js';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { append, lines, prunedWorkspace } from './tail-helpers.js';
import { testDatabaseUrl } from '../helpers/store.js';

const RUNNER = join(import.meta.dirname, 'run-cli.ts');
let t: TestServer;
let env: NodeJS.ProcessEnv;

beforeAll(async () => {
  t = await startTestServer();
  const dir = mkdtempSync(join(tmpdir(), 'ebcli-cli-events-'));
  writeFileSync(join(dir, 'ca.pem'), t.server.ca);
  env = {
    ...process.env,
    EBCLI_URL: t.url,
    EBCLI_TOKEN: t.token,
    EBCLI_CA_FILE: join(dir, 'ca.pem'),
    XDG_CONFIG_HOME: join(dir, 'config'),
    XDG_DATA_HOME: join(dir, 'data'),
    NO_COLOR: '1',
  };
  delete env.FORCE_COLOR;
});
afterAll(async () => t.stop());

interface Run {
  child: ChildProcess;
  stdout: () => string;
  stderr: () => string;
  exit: Promise<number | null>;
}

function cli(args: string[]): Run {
  const child = spawn(process.execPath, ['--import', 'tsx', '--no-warnings', RUNNER, ...args], { env });
  let out = '';
  let err = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
  const exit = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return { child, stdout: () => out, stderr: () => err, exit };
}

const ndjson = (text: string) =>
  text
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as { seq?: number; type: string; [k: string]: unknown });

async function until(pred: () => boolean, ms = 20_000): Promise<void> {
  const end = Date.now() + ms;
  while (!pred()) {
    if (Date.now() > end) throw new Error('condition not met');
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('ebcli events (subprocess)', () => {
  it('prints history as lines, or NDJSON under --json, and exits 0', async () => {
    await append(t, [
      {
        workspace: 'admin',
        type: 'script.start',
        instanceId: 'i-cli001',
        data: { executionId: 'e1', event: 'install', box: 'Web' },
      },
      {
        workspace: 'admin',
        type: 'script.output',
        instanceId: 'i-cli001',
        data: { executionId: 'e1', stream: 'stdout', line: 'hello' },
      },
      {
        workspace: 'admin',
        type: 'script.finish',
        instanceId: 'i-cli001',
        data: { executionId: 'e1', event: 'install', box: 'Web', status: 'success', exitCode: 0 },
      },
    ]);
    const human = cli(['events', '--since', '0']);
    expect(await human.exit).toBe(0);
    const rows = human.stdout().trim().split('\n');
    expect(rows).toHaveLength(3);
    expect(rows[0]).toMatch(/^\d\d:\d\d:\d\d\.\d{3} {2}i-cli001 {2}==> Web:install$/);
    expect(rows[1]).toMatch(/i-cli001 {2}Web:install {2}hello$/);
    expect(rows[2]).toMatch(/<== Web:install \(exit 0, \d+ ms\)$/);
    const json = cli(['events', '--since', '1', '--json']);
    expect(await json.exit).toBe(0);
    expect(ndjson(json.stdout()).map((e) => [e.seq, e.type])).toEqual([
      [2, 'script.output'],
      [3, 'script.finish'],
    ]);
  });

  it('-f tails across dropped connections without duplicates, and Ctrl-C exits 130', async () => {
    const head = (await t.call('GET', '/services/events?tail=1')).body.head as number;
    const run = cli(['events', '-f', '--json', '--since', String(head), '--instance', 'i-follow']);
    await until(() => (t.server.app.websocketServer.clients as Set<WebSocket>).size > 0);
    for (let i = 0; i < 10; i++) {
      await append(t, lines(20, 'i-follow', 'admin', i * 20));
      if (i === 3 || i === 7) for (const c of t.server.app.websocketServer.clients as Set<WebSocket>) c.terminate();
      await new Promise((r) => setTimeout(r, 30));
    }
    await until(() => ndjson(run.stdout()).length >= 200);
    // A server restart (same address, as the embedded server keeps its port) while lines keep coming.
    const port = t.server.port;
    await t.server.close();
    t.server = await startServer({ dataDir: t.dataDir, port, database: await testDatabaseUrl(t.dataDir) });
    for (let i = 10; i < 15; i++) await append(t, lines(20, 'i-follow', 'admin', i * 20));
    await until(() => ndjson(run.stdout()).length >= 300);
    const events = ndjson(run.stdout());
    expect(events.map((e) => (e.data as { line: string }).line)).toEqual(
      Array.from({ length: 300 }, (_, i) => `line ${i}`),
    );
    expect(run.stderr()).toMatch(/connection lost/);
    run.child.kill('SIGINT');
    expect(await run.exit).toBe(130);
  }, 60_000);

  it('says so when history is gone: a notice on stderr and a resync line in --json', async () => {
    await prunedWorkspace(t, 'gone', 40, 10);
    const run = cli(['events', '--workspace', 'gone', '--since', '2', '--json']);
    expect(await run.exit).toBe(0);
    const out = ndjson(run.stdout());
    expect(out[0]).toMatchObject({ type: 'resync', reason: 'pruned', requested: 2, first: 31 });
    expect(out.slice(1).map((e) => e.seq)).toEqual(Array.from({ length: 10 }, (_, i) => 31 + i));
    expect(run.stderr()).toMatch(/history gap: events 3\.\.30 are no longer kept/);
  });

  it('instances logs -f follows the running operation and exits with its outcome, naming the failing script', async () => {
    const at = (s: number) => `2026-01-01 00:00:0${s}.000000`;
    for (const id of ['i-logok1', 'i-logbad']) {
      const doc = {
        id,
        uri: `/services/instances/${id}`,
        schema: 'http://elasticbox.net/schemas/instance',
        name: id,
        owner: 'admin',
        box: 'b',
        state: 'processing',
        operation: { event: 'deploy', workspace: 'admin', created: at(0) },
        tags: [],
        created: at(0),
        updated: at(1),
      };
      await t.server.db
        .insertInto('instances')
        .values({
          id,
          owner: 'admin',
          name: id,
          box_id: 'b',
          provider_id: null,
          state: 'processing',
          doc: JSON.stringify(doc),
          created: at(0),
          updated: at(1),
        })
        .execute();
    }
    const script = (id: string, exitCode: number, state: string) => [
      {
        workspace: 'admin',
        type: 'script.start' as const,
        instanceId: id,
        data: { executionId: `${id}-x`, event: 'install', box: 'Web' },
      },
      {
        workspace: 'admin',
        type: 'script.output' as const,
        instanceId: id,
        data: { executionId: `${id}-x`, stream: 'stdout' as const, line: `out of ${id}` },
      },
      {
        workspace: 'admin',
        type: 'script.finish' as const,
        instanceId: id,
        data: {
          executionId: `${id}-x`,
          event: 'install',
          box: 'Web',
          status: exitCode ? 'failed' : 'success',
          exitCode,
        },
      },
      {
        workspace: 'admin',
        type: 'instance.state' as const,
        instanceId: id,
        data: { id, state, operation: { event: 'deploy' }, updated: at(2) },
      },
    ];
    // An old terminal state (not newer than the document) must not end the follow.
    await append(t, [
      {
        workspace: 'admin',
        type: 'instance.state',
        instanceId: 'i-logok1',
        data: { id: 'i-logok1', state: 'done', operation: { event: 'deploy' }, updated: at(1) },
      },
    ]);
    const ok = cli(['instances', 'logs', 'i-logok1', '-f']);
    const bad = cli(['instances', 'logs', 'i-logbad', '-f', '--json']);
    await until(() => (t.server.app.websocketServer.clients as Set<WebSocket>).size >= 2);
    await append(t, script('i-logok1', 0, 'done'));
    await append(t, script('i-logbad', 3, 'unavailable'));
    expect(await ok.exit).toBe(0);
    expect(ok.stdout()).toMatch(/Web:install {2}out of i-logok1\n.*<== Web:install \(exit 0/);
    expect(await bad.exit).toBe(1);
    const streamed = bad
      .stdout()
      .split('\n')
      .filter((l) => l.startsWith('{"seq"'));
    expect(streamed.map((l) => (JSON.parse(l) as { type: string }).type)).toEqual([
      'script.start',
      'script.output',
      'script.finish',
      'instance.state',
    ]);
    // NDJSON to the end: the error is one JSON line too, the last.
    expect(JSON.parse(bad.stdout().trim().split('\n').at(-1)!)).toMatchObject({
      error: { exitCode: 1, message: 'i-logbad: deploy failed: Web:install failed (exit 3)' },
    });
  }, 60_000);

  it('exits 4 for a workspace it may not read', async () => {
    const run = cli(['events', '--workspace', 'someone-else']);
    expect(await run.exit).toBe(4);
  });
});
