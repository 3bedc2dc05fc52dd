import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { BIN, runCliProbed, seedInstance, useCliServer } from './helpers.js';
import { runCliInProcess as runCli } from './in-process.js';

describe('instances list, show and bulk operations', () => {
  const cli = useCliServer();
  const ids: Record<string, string> = {};

  beforeAll(async () => {
    ids.web1 = (await seedInstance(cli.t, { name: 'web-1', tags: ['web', 'prod'] })).id;
    ids.web2 = (await seedInstance(cli.t, { name: 'web-2', tags: ['web'] })).id;
    ids.db = (
      await seedInstance(cli.t, {
        name: 'db',
        tags: ['db'],
        state: 'unavailable',
        variables: [
          { name: 'ROOT_PASSWORD', type: 'Password', value: 's3cret-value' },
          { name: 'PORT', type: 'Port', value: '5432' },
        ],
      })
    ).id;
  });

  it('prints plain tab-separated rows when stdout is not a TTY', async () => {
    const r = await runCli(['instances', 'list'], { env: cli.env });
    expect(r.code).toBe(0);
    const lines = r.stdout.trim().split('\n');
    expect(lines).toHaveLength(3);
    expect(lines).toContain(`${ids.web1}\tweb-1\trunning\tadmin\tweb,prod`);
    expect(r.stdout).not.toMatch(/[┌│─]/);
    expect(r.stdout).not.toContain('\u001b[');
  });

  it('prints the documents with --json', async () => {
    const r = await runCli(['instances', 'list', '--json'], { env: cli.env });
    const docs = r.json() as { id: string; state: string }[];
    expect(docs.map((d) => d.id).sort()).toEqual(Object.values(ids).sort());
  });

  it('filters by tags (all must match), state and columns, the same with and without the fast path', async () => {
    for (const extra of [{}, { EBCLI_NO_FAST_PATH: '1' }]) {
      const tagged = await runCli(['instances', 'list', '-t', 'web', '-t', 'prod', '--columns', 'id,name'], {
        env: { ...cli.env, ...extra },
      });
      expect(tagged.stdout).toBe(`${ids.web1}\tweb-1\n`);
      const failed = await runCli(['instances', '--state', 'failed', '--columns', 'id'], {
        env: { ...cli.env, ...extra },
      });
      expect(failed.stdout).toBe(`${ids.db}\n`);
      const bad = await runCli(['instances', 'list', '--columns', 'nope'], { env: { ...cli.env, ...extra } });
      expect(bad.code).toBe(2);
      expect(bad.stderr).toContain('--columns');
    }
  });

  it("runs from its CommonJS bundle, without oclif's Config or the ES module loader (start-up budget T2)", async () => {
    const r = await runCliProbed(['instances', 'list'], { env: cli.env });
    expect(r.code).toBe(0);
    expect(r.stdout.trim().split('\n')).toHaveLength(3);
    expect(r.loaded.files.some((f) => f.endsWith(join('dist', 'bundles', 'instances-list.cjs')))).toBe(true);
    expect(r.loaded.files.filter((f) => f.includes('@oclif') || f.includes('undici'))).toEqual([]);
    expect(r.loaded.builtins).not.toContain('NativeModule internal/modules/esm/module_job');
    expect(r.loaded.builtins).toContain('NativeModule tls');
  });

  it('shows one instance with secrets masked', async () => {
    const r = await runCli(['instances', 'show', ids.db!, '--json'], { env: cli.env });
    expect(r.code).toBe(0);
    expect(r.stdout).not.toContain('s3cret-value');
    expect(r.json()).toMatchObject({ state: 'failed', instance: { id: ids.db, name: 'db' } });
    const text = await runCli(['instances', 'show', ids.db!], { env: cli.env });
    expect(text.stdout).toContain('ROOT_PASSWORD=****');
  });

  it('refuses a destructive operation without --yes when there is no TTY', async () => {
    const r = await runCli(['instances', 'terminate', '--tag', 'web'], { env: cli.env });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('--yes');
    expect(r.stderr).toContain(ids.web1);
  });

  it('needs targets', async () => {
    const r = await runCli(['instances', 'reconfigure'], { env: cli.env });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--tag/);
  });

  it('acts on every instance selected by tag, one result line each (--json results)', async () => {
    const r = await runCli(['reconfigure', '--tag', 'web', '--no-wait', '--concurrency', '2', '--json'], {
      env: cli.env,
    });
    expect(r.code).toBe(0);
    const results = r.json() as { id: string; outcome: string; operation: string }[];
    expect(results.map((x) => x.id).sort()).toEqual([ids.web1, ids.web2].sort());
    expect(results.every((x) => x.outcome === 'accepted' && x.operation === 'reconfigure')).toBe(true);
  });

  it('survives a closed stdout (EPIPE) when piped into head', async () => {
    for (let i = 0; i < 150; i++) await seedInstance(cli.t, { name: `bulk-${i}`, tags: ['bulk'] });
    // Asynchronous: the server answering the CLI runs in this process.
    const script = `node ${JSON.stringify(BIN)} instances list --json | head -c 10; echo; echo "status=\${PIPESTATUS[0]}"`;
    const child = spawn('bash', ['-c', script], { env: { PATH: process.env.PATH, ...cli.env } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    await new Promise((resolve) => child.on('close', resolve));
    expect(stdout).toContain('status=0');
    expect(stderr).toBe('');
  });
});

describe('confirmation on a TTY', () => {
  const cli = useCliServer();

  /** Runs the CLI on a pseudo-terminal (util-linux `script`), answering the prompt once it shows. */
  function onTty(args: string[], answer: string): Promise<string> {
    const command = ['node', BIN, ...args].map((a) => `'${a}'`).join(' ');
    const child = spawn('script', ['-qec', command, '/dev/null'], {
      env: { PATH: process.env.PATH, TERM: 'xterm', ...cli.env },
    });
    let out = '';
    child.stdout.on('data', (d) => {
      out += d;
      if (out.includes('(y/N)') && !child.stdin.writableEnded) child.stdin.end(answer);
    });
    return new Promise((resolve) => child.on('close', () => resolve(out)));
  }

  it('lists the targets and does nothing when the answer is no', async () => {
    const doc = await seedInstance(cli.t, { name: 'keep-me', tags: ['tty'] });
    const out = await onTty(['instances', 'terminate', '--tag', 'tty'], 'n\r');
    expect(out).toContain(`${doc.id}  keep-me  running`);
    expect(out).toContain('cancelled');
    const after = await runCli(['instances', 'show', doc.id, '--json'], { env: cli.env });
    expect(after.json().instance.operation.event).toBe('deploy');
  });
});
