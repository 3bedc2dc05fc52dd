import { chmodSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { ensureBuilt, runCli, serverEnv, tempHome } from './helpers.js';

/** Writes a one-box folder with an install and a configure script. */
function boxFolder(root: string, name: string, configure: string): string {
  const dir = join(root, name);
  mkdirSync(join(dir, 'events'), { recursive: true });
  const yaml = ['requirements:', '- linux', 'schema: http://elasticbox.net/schemas/boxes/script', ''];
  writeFileSync(join(dir, 'box.yaml'), [`name: ${name}`, ...yaml].join('\n'));
  writeFileSync(join(dir, 'events', 'install'), '#!/bin/bash\necho installed\n', { mode: 0o700 });
  writeFileSync(join(dir, 'events', 'configure'), `#!/bin/bash\n${configure}\n`, { mode: 0o700 });
  return dir;
}

const streamed = (stdout: string) =>
  stdout
    .split('\n')
    .filter((l) => l.startsWith('{"seq"'))
    .map((l) => JSON.parse(l) as { seq: number; type: string; instance: string; data: Record<string, unknown> });

// Real operations: the server runs the workflows and a local agent runs the scripts.
describe('lifecycle commands with --follow', () => {
  let t: TestServer;
  let home: ReturnType<typeof tempHome>;
  let env: Record<string, string>;
  let work: string;
  /** While this file exists the good box's configure script sleeps (to interrupt it). */
  let slow: string;
  const ids: { good?: string; bad?: string } = {};

  const deploy = async (dir: string, name: string): Promise<string> => {
    const r = await runCli(['deploy', dir, '--name', name, '--timeout', '90s'], { env, timeoutMs: 120_000 });
    expect(r.code, r.stderr).toBe(0);
    return r.stdout.split('\t')[0]!;
  };

  beforeAll(async () => {
    ensureBuilt();
    t = await startTestServer();
    home = tempHome();
    env = { ...home.env, ...serverEnv(t), NO_COLOR: '1' };
    work = mkdtempSync(join(tmpdir(), 'ebcli-follow-ops-'));
    // The scripts test and create marker files here: as root, machines run as an unprivileged user.
    chmodSync(work, 0o777);
    slow = join(work, 'slow');
    const good = boxFolder(work, 'Follow Good', `echo "configure says hi"\nif [ -e '${slow}' ]; then sleep 8; fi`);
    // Configure passes during the deploy and fails from then on.
    const marker = join(work, 'configured-once');
    const bad = boxFolder(
      work,
      'Follow Bad',
      `if [ -e '${marker}' ]; then echo "configure breaks" >&2; exit 4; fi\ntouch '${marker}'`,
    );
    [ids.good, ids.bad] = await Promise.all([deploy(good, 'follow-good'), deploy(bad, 'follow-bad')]);
  }, 180_000);

  afterAll(async () => {
    rmSync(slow, { force: true });
    for (const id of Object.values(ids)) {
      await runCli(['wait', id, '--timeout', '60s'], { env, timeoutMs: 90_000 });
      await runCli(['instances', 'terminate', id, '--force', '--yes', '--timeout', '60s'], { env, timeoutMs: 90_000 });
      await runCli(['instances', 'delete', id, '--yes', '--timeout', '30s'], { env });
    }
    await t?.stop();
    home?.cleanup();
    rmSync(work, { recursive: true, force: true });
  }, 300_000);

  it('streams the configure script (header, output, exit code and duration) and exits 0', async () => {
    const r = await runCli(['instances', 'reconfigure', ids.good!, '--follow', '--yes', '--timeout', '90s'], {
      env,
      timeoutMs: 120_000,
    });
    expect(r.code, r.stderr).toBe(0);
    const lines = r.stdout.trim().split('\n');
    const at = (re: RegExp) => lines.findIndex((l) => re.test(l));
    const header = at(/ {2}==> Follow Good:configure( on \S+)?$/);
    const output = at(/ {2}Follow Good:configure {2}configure says hi$/);
    const footer = at(/ {2}<== Follow Good:configure \(exit 0, [\d.]+ m?s\)$/);
    expect(header, r.stdout).toBeGreaterThanOrEqual(0);
    expect(output).toBeGreaterThan(header);
    expect(footer).toBeGreaterThan(output);
    // One line per event, each naming the instance; the result line comes last.
    expect(lines.slice(0, -1).every((l) => l.includes(`  ${ids.good}  `))).toBe(true);
    expect(lines.at(-1)).toBe(`${ids.good}\tdone\trunning`);
  }, 150_000);

  it('exits 1 naming the failing script when configure fails', async () => {
    const r = await runCli(['reconfigure', ids.bad!, '-f', '--yes', '--timeout', '90s'], { env, timeoutMs: 120_000 });
    expect(r.code, r.stderr).toBe(1);
    expect(r.stdout).toMatch(/Follow Bad:configure {2}configure breaks\n/);
    expect(r.stdout).toMatch(/<== Follow Bad:configure \(failed, exit 4/);
    expect(r.stdout.trim().split('\n').at(-1)).toBe(
      `${ids.bad}\tfailed\treconfigure failed: Follow Bad:configure failed (exit 4)`,
    );
    expect(r.stderr).toContain(`Error: ${ids.bad}: reconfigure failed: Follow Bad:configure failed (exit 4)`);
  }, 150_000);

  it('prints NDJSON events under --json, then the results', async () => {
    const r = await runCli(['instances', 'reconfigure', ids.good!, '--follow', '--yes', '--json'], {
      env,
      timeoutMs: 120_000,
    });
    expect(r.code, r.stderr).toBe(0);
    const events = streamed(r.stdout);
    expect(events.every((e) => e.instance === ids.good)).toBe(true);
    const seqs = events.map((e) => e.seq);
    expect(seqs).toEqual([...seqs].sort((a, b) => a - b));
    const script = events.filter((e) => e.type.startsWith('script.') && e.data.event !== 'install');
    expect(script.map((e) => e.type)).toContain('script.output');
    expect(events.find((e) => e.type === 'script.finish')?.data).toMatchObject({ event: 'configure', exitCode: 0 });
    expect(events.at(-1)).toMatchObject({ type: 'instance.state', data: { state: 'done' } });
    // NDJSON to the end: every line is one JSON document, the results the last.
    const docs = r.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as unknown);
    expect(docs.at(-1)).toEqual([expect.objectContaining({ id: ids.good, outcome: 'done', state: 'running' })]);
  }, 150_000);

  it('follows several targets, prefixing each line with its instance, and exits 5 when only some fail', async () => {
    const r = await runCli(['instances', 'reconfigure', ids.good!, ids.bad!, '--follow', '--yes', '--timeout', '90s'], {
      env,
      timeoutMs: 120_000,
    });
    expect(r.code, r.stderr).toBe(5);
    expect(r.stdout).toMatch(new RegExp(`  ${ids.good}  Follow Good:configure  configure says hi\\n`));
    expect(r.stdout).toMatch(new RegExp(`  ${ids.bad}  Follow Bad:configure  configure breaks\\n`));
    expect(r.stdout.trim().split('\n').slice(-2)).toEqual([
      `${ids.good}\tdone\trunning`,
      `${ids.bad}\tfailed\treconfigure failed: Follow Bad:configure failed (exit 4)`,
    ]);
  }, 150_000);

  it('stops at once with exit 130 on Ctrl-C', async () => {
    writeFileSync(slow, '');
    let seen = 0;
    const r = await runCli(['instances', 'reconfigure', ids.good!, '--follow', '--yes'], {
      env,
      timeoutMs: 60_000,
      onSpawn: (child) => {
        let out = '';
        child.stdout!.on('data', (d: Buffer) => {
          out += d.toString();
          if (!seen && out.includes('configure says hi')) {
            seen = Date.now();
            child.kill('SIGINT');
          }
        });
      },
    });
    expect(r.code, r.stderr).toBe(130);
    expect(Date.now() - seen).toBeLessThan(2000);
    expect(r.stderr).toContain('interrupted');
    rmSync(slow, { force: true });
    expect(existsSync(slow)).toBe(false);
  }, 90_000);
});
