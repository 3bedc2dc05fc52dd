import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli, useCliServer } from './helpers.js';

function boxFolder(root: string, name: string, install: string): string {
  const dir = join(root, name);
  mkdirSync(join(dir, 'events'), { recursive: true });
  writeFileSync(
    join(dir, 'box.yaml'),
    [`name: ${name}`, 'requirements:', '- linux', 'schema: http://elasticbox.net/schemas/boxes/script', ''].join('\n'),
  );
  writeFileSync(join(dir, 'events', 'install'), `#!/bin/bash\n${install}\n`, { mode: 0o700 });
  return dir;
}

// Real deploys through the CLI: progress lines, the failing script's tail and Ctrl-C during a wait.
describe('progress and failures people can read', { timeout: 180_000 }, () => {
  const cli = useCliServer();
  let boxes: string;
  const cleanup: string[] = [];

  beforeAll(() => {
    boxes = mkdtempSync(join(tmpdir(), 'ebcli-boxes-'));
  });
  afterAll(async () => {
    for (const id of cleanup) {
      await runCli(['instances', 'terminate', id, '--force', '--yes', '--timeout', '60s'], { env: cli.env });
    }
    rmSync(boxes, { recursive: true, force: true });
  });

  it('a failed deploy shows the script last 20 lines, stderr marked, and the command for the whole log', async () => {
    const dir = boxFolder(
      boxes,
      'Tail Fail',
      // Runs 3 s: longer than the CLI's longest pause between polls (1 s), so a poll sees it running.
      'for i in $(seq 1 30); do echo "line $i"; done\necho "disk is full" >&2\nsleep 3\nexit 3',
    );
    const r = await runCli(['deploy', dir, '--name', 'tail-fail', '--timeout', '90s'], {
      env: cli.env,
      timeoutMs: 120_000,
    });
    const id = r.stdout.split('\t')[0]!;
    cleanup.push(id);
    expect(r.code).toBe(1);
    // Without a TTY: one plain line per change, naming the running box:event; no control characters.
    expect(r.stderr).toMatch(new RegExp(`${id} {2}tail-fail {2}processing {2}Tail Fail:install {2}\\d+s`));
    expect(r.stderr).not.toContain('\x1b');
    const lines = r.stderr.split('\n');
    const head = lines.findIndex((l) => l.includes('last 20 output lines of Tail Fail:install'));
    expect(head).toBeGreaterThan(-1);
    expect(lines.slice(head + 1, head + 21).map((l) => l.trim())).toEqual([
      ...Array.from({ length: 19 }, (_, i) => `line ${i + 12}`),
      'stderr| disk is full',
    ]);
    const command = /whole log: (ebcli instances logs .*)$/m.exec(r.stderr)?.[1];
    expect(command).toMatch(new RegExp(`^ebcli instances logs ${id} --operation \\S+ --event install$`));
    // The named command really prints the whole log.
    const logs = await runCli(command!.split(' ').slice(1), { env: cli.env });
    expect(logs.code).toBe(0);
    expect(logs.stdout).toContain('line 1\n');
    expect(logs.stdout).toContain('line 30\n');
    expect(logs.stdout).toContain('disk is full');
  });

  it('Ctrl-C during a wait says the operation goes on and how to re-attach', async () => {
    const dir = boxFolder(boxes, 'Slow Install', 'echo started; sleep 4; echo finished');
    let sent = false;
    const r = await runCli(['deploy', dir, '--name', 'slow-install', '--timeout', '90s'], {
      env: cli.env,
      timeoutMs: 60_000,
      onSpawn: (child) =>
        child.stderr!.on('data', (d: Buffer) => {
          if (!sent && d.toString().includes('Deploying')) {
            sent = true;
            child.kill('SIGINT');
          }
        }),
    });
    expect(r.code).toBe(130);
    const id = /\((i-[a-z0-9]+)\)/.exec(r.stderr)?.[1];
    expect(id).toBeDefined();
    cleanup.push(id!);
    expect(r.stderr).toContain(`the operation continues on the server; re-attach with \`ebcli wait ${id}\``);
    const waited = await runCli(['wait', id!, '--timeout', '60s'], { env: cli.env, timeoutMs: 90_000 });
    expect(waited.code, `${waited.stderr}\n${waited.stdout}`).toBe(0);
    expect(waited.stdout).toBe(`${id}\tdone\trunning\n`);
  });
});
