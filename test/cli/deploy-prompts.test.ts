import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { BIN, runCli, useCliServer } from './helpers.js';

/** A box folder with a required Password variable left empty. */
function secretBox(): string {
  const dir = join(mkdtempSync(join(tmpdir(), 'ebcli-prompt-')), 'Needs Secret');
  mkdirSync(join(dir, 'events'), { recursive: true });
  writeFileSync(
    join(dir, 'box.yaml'),
    [
      'name: Needs Secret',
      'requirements:',
      '- linux',
      'schema: http://elasticbox.net/schemas/boxes/script',
      'variables:',
      '- name: DB_PASSWORD',
      '  required: true',
      '  type: Password',
      "  value: ''",
      '  visibility: public',
      '',
    ].join('\n'),
  );
  writeFileSync(join(dir, 'events', 'install'), '#!/bin/bash\necho installed\n', { mode: 0o700 });
  return dir;
}

describe('deploy prompts', () => {
  const cli = useCliServer();
  let dir: string;
  beforeAll(() => {
    dir = secretBox();
  });

  it('without a TTY, names the -v flag for a required variable and deploys nothing', async () => {
    const r = await runCli(['deploy', dir, '--no-wait'], { env: cli.env });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('pass -v DB_PASSWORD=VALUE');
    const list = await runCli(['instances', 'list', '--json'], { env: cli.env });
    expect(list.json()).toEqual([]);
  });

  it('without a TTY, a missing TARGET is a usage error', async () => {
    const r = await runCli(['deploy'], { env: cli.env });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('missing TARGET');
  });

  it('on a TTY, asks for the required Password with hidden input, then deploys', async () => {
    const command = ['node', BIN, 'deploy', dir, '--no-wait'].map((a) => `'${a}'`).join(' ');
    const env: Record<string, string | undefined> = { PATH: process.env.PATH, TERM: 'xterm', ...cli.env };
    delete env.CI;
    const child = spawn('script', ['-qec', command, '/dev/null'], { env: env as NodeJS.ProcessEnv });
    let out = '';
    child.stdout.on('data', (d) => {
      out += d;
      if (out.includes('DB_PASSWORD (Password)') && !child.stdin.writableEnded) child.stdin.end('s3cret-pw\r');
    });
    const code = await new Promise((resolve) => child.on('close', resolve));
    expect(out).toContain('DB_PASSWORD (Password)');
    expect(out).not.toContain('s3cret-pw');
    expect(code).toBe(0);
    const list = (await runCli(['instances', 'list', '--json'], { env: cli.env })).json();
    expect(list).toHaveLength(1);
    expect(list[0].variables).toEqual([expect.objectContaining({ name: 'DB_PASSWORD', type: 'Password' })]);
    // The deploy went on without waiting: its machine's agent outlives the server, so end it here.
    const gone = await runCli(['instances', 'terminate', list[0].id, '--force', '--yes', '--timeout', '60s'], {
      env: cli.env,
      timeoutMs: 90_000,
    });
    expect(gone.code).toBe(0);
  }, 120_000);
});
