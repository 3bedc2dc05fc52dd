import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readEvents, wireEvent, type NewEvent } from '../../src/server/events/log.js';
import { append } from '../events/tail-helpers.js';
import { killAgents } from '../e2e/helpers.js';
import { runCli, seedInstance, useCliServer } from './helpers.js';
import { runWithEarlyClose, runWithSlowReader } from './slow-reader.js';

// Issue 9, "output is never lost": real CLI processes against a real server, their stdout piped
// into a reader that is deliberately slow, compared byte for byte with what the server holds.

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
const afterMs = (ms: number) => () => sleep(ms);
/** A stack trace (`    at fn (file:line)`) anywhere in a text. */
const STACK = /^\s+at .+/m;

describe('output piped into a slow reader', () => {
  const cli = useCliServer();
  let env: Record<string, string>;
  /** The stream of the `bulk` workspace as `events --json` prints it (NDJSON). */
  let bulkEvents: string;

  beforeAll(async () => {
    env = { ...cli.env, NO_COLOR: '1' };
    // 500 instances straight into the store (no workflow, no agent).
    for (let i = 0; i < 500; i++) await seedInstance(cli.t, { name: `bulk-${String(i).padStart(3, '0')}` });
    // About 11 MB of script output in a workspace of its own, 50 lines per event as agents batch it.
    expect((await cli.t.call('POST', '/services/workspaces', { body: { name: 'bulk' } })).status).toBe(200);
    const line = (n: number) => `line ${n} `.padEnd(100, '.');
    for (let batch = 0; batch < 3; batch++) {
      const events: NewEvent[] = Array.from({ length: 700 }, (_, k) => {
        const first = (batch * 700 + k) * 50;
        return {
          workspace: 'bulk',
          type: 'script.output',
          instanceId: 'i-bulk01',
          data: {
            executionId: 'x-bulk',
            stream: 'stdout',
            seq: first,
            lines: Array.from({ length: 50 }, (_, j) => line(first + j)),
          },
        };
      });
      await append(cli.t, events);
    }
    const stored = await readEvents(cli.t.server.db, 'bulk', { since: 0, limit: 10_000 });
    bulkEvents = stored.map((e) => `${JSON.stringify(wireEvent(e))}\n`).join('');
  }, 120_000);

  it('events --json: more than 10 MB, every byte', async () => {
    expect(bulkEvents.length).toBeGreaterThan(10 * 1024 * 1024);
    const r = await runWithSlowReader(['events', '--workspace', 'bulk', '--since', '0', '--json'], {
      env,
      startWhen: afterMs(300),
    });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toBe('');
    expect(r.stdout.length).toBe(Buffer.byteLength(bulkEvents));
    expect(r.stdout.toString() === bulkEvents).toBe(true);
  }, 60_000);

  it('instances list --json with 500 instances, on the fast path and through oclif', async () => {
    const listed = await cli.t.call('GET', '/services/instances');
    expect(listed.body).toHaveLength(500);
    const expected = `${JSON.stringify(listed.body, null, 2)}\n`;
    for (const extra of [{}, { EBCLI_NO_FAST_PATH: '1' }] as Record<string, string>[]) {
      const r = await runWithSlowReader(['instances', 'list', '--json'], {
        env: { ...env, ...extra },
        startWhen: afterMs(300),
      });
      expect(r.code, r.stderr).toBe(0);
      expect(r.stdout.length).toBe(Buffer.byteLength(expected));
      expect(r.stdout.toString() === expected).toBe(true);
    }
  }, 60_000);

  it('an error under --json reaches a slow reader too, with its exit code', async () => {
    const r = await runWithSlowReader(['instances', 'show', 'i-zzzzzz', '--json'], {
      env,
      startWhen: afterMs(300),
    });
    expect(r.code).toBe(6);
    expect(JSON.parse(r.stdout.toString())).toMatchObject({ error: { code: 'not_found', exitCode: 6 } });
  }, 30_000);

  it('Ctrl-C ends the command even when its reader is stuck: exit 130', async () => {
    let exited!: Promise<unknown>;
    const r = await runWithSlowReader(['events', '--workspace', 'bulk', '--since', '0', '--json'], {
      env,
      onSpawn: (child) => {
        exited = new Promise((resolve) => child.on('exit', resolve));
        // Once the command runs (its first page is on the way), as a user would.
        setTimeout(() => child.kill('SIGINT'), 1500);
      },
      // The reader takes nothing until the CLI has ended (the test times out if it never does).
      startWhen: () => exited.then(() => undefined),
    });
    expect(r.signal).toBeNull();
    expect(r.code).toBe(130);
    expect(r.stderr).toContain('interrupted');
    expect(r.stderr).not.toMatch(STACK);
  }, 30_000);

  describe('a reader that closes early (| head -1) ends the command quietly', () => {
    it.each([
      ['the fast path', ['instances', 'list', '--json'], {}],
      ['oclif', ['instances', 'list', '--json'], { EBCLI_NO_FAST_PATH: '1' }],
      ['a paged history', ['events', '--workspace', 'bulk', '--since', '0', '--json'], {}],
    ])(
      'stdout, %s: exit 0, nothing on stderr',
      async (_name, args, extra) => {
        const r = await runWithEarlyClose(args, { ...env, ...extra }, 'stdout');
        expect(r.stdout.split('\n')[0]).toMatch(/^[[{]/);
        expect(r.signal).toBeNull();
        expect(r.code, r.stderr).toBe(0);
        expect(r.stderr).toBe('');
      },
      30_000,
    );

    it.each([
      ['an error', ['instances', 'show', 'i-zzzzzz'], 6],
      ['an unknown command', ['no-such-command'], 2],
      ['a usage error', ['instances', 'list', '--no-such-flag'], 2],
    ])(
      'stderr, %s: the exit code of the command, no crash',
      async (_name, args, code) => {
        const r = await runWithEarlyClose(args, env, 'stderr', false);
        expect(r.signal).toBeNull();
        expect(r.code).toBe(code);
        expect(r.stdout).not.toMatch(STACK);
      },
      30_000,
    );
  });
});

describe('deploy --follow --json into a slow reader', () => {
  const cli = useCliServer();
  let work: string;
  let id: string | undefined;

  beforeAll(() => {
    work = mkdtempSync(join(tmpdir(), 'ebcli-output-'));
  });

  afterAll(async () => {
    if (id) {
      const env = { ...cli.env };
      await runCli(['instances', 'terminate', id, '--force', '--yes', '--timeout', '60s'], { env, timeoutMs: 90_000 });
    }
    await killAgents(cli.t.dataDir);
    rmSync(work, { recursive: true, force: true });
  }, 120_000);

  it('streams all 50,000 script lines in order, one JSON document per line, the result last', async () => {
    const dir = join(work, 'chatty');
    mkdirSync(join(dir, 'events'), { recursive: true });
    writeFileSync(
      join(dir, 'box.yaml'),
      'name: Chatty\nschema: http://elasticbox.net/schemas/boxes/script\nrequirements:\n- linux\n',
    );
    writeFileSync(join(dir, 'events', 'install'), '#!/bin/bash\nseq 1 50000\n', { mode: 0o700 });

    // The reader reads nothing until the server has finished the deploy: the CLI has everything
    // to print by then (and, before issue 9, exited with most of it unwritten).
    const r = await runWithSlowReader(['deploy', dir, '--name', 'chatty', '--follow', '--json', '--timeout', '120s'], {
      env: { ...cli.env, NO_COLOR: '1' },
      timeoutMs: 150_000,
      startWhen: async (stderr) => {
        for (;;) {
          id ??= /\((i-[a-z0-9]{6})\)/.exec(stderr())?.[1];
          if (id && (await cli.t.call('GET', `/services/instances/${id}`)).body.state !== 'processing') break;
          await sleep(200);
        }
        await sleep(500);
      },
    });
    expect(r.code, `${r.stderr}\n${r.stdout.toString().slice(-2000)}`).toBe(0);
    const text = r.stdout.toString();
    expect(text.endsWith('\n')).toBe(true);
    const lines = text.slice(0, -1).split('\n');
    const docs = lines.map((l) => JSON.parse(l) as Record<string, any>);

    // The result is the last line, one JSON document.
    expect(docs.at(-1)).toEqual([expect.objectContaining({ id, outcome: 'done', state: 'running' })]);

    // Every other line is an event of the instance, exactly as the server stored it, up to the end
    // of the deploy.
    const stored = (await readEvents(cli.t.server.db, 'admin', { instanceIds: [id!], limit: 10_000 })).map((e) =>
      JSON.stringify(wireEvent(e)),
    );
    const end = stored.findIndex((l) => {
      const e = JSON.parse(l) as { type: string; data: { state?: string } };
      return e.type === 'instance.state' && e.data.state === 'done';
    });
    expect(lines.slice(0, -1)).toEqual(stored.slice(0, end + 1));

    // And the script's 50,000 lines are all there, in order.
    const output = docs
      .filter((d) => d.type === 'script.output' && d.data.stream === 'stdout')
      .flatMap((d) => (d.data.lines as string[] | undefined) ?? [d.data.line as string]);
    expect(output).toHaveLength(50_000);
    expect(output.every((l, i) => l === String(i + 1))).toBe(true);
  }, 180_000);
});
