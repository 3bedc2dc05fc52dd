import { beforeAll, describe, expect, it } from 'vitest';
import { extractJsonFields } from '../../src/cli/json-fields.js';
import { seedInstance, useCliServer } from './helpers.js';
import { runCliInProcess as runCli } from './in-process.js';

// `--json id,name` keeps only those fields (as gh does) and `-q` prints ids only; one server for the file.
describe('--json field lists and --quiet', () => {
  const cli = useCliServer();
  const ids: string[] = [];

  beforeAll(async () => {
    ids.push((await seedInstance(cli.t, { name: 'alpha', tags: ['jq'] })).id);
    ids.push((await seedInstance(cli.t, { name: 'beta', tags: ['jq'] })).id);
  });

  it('keeps only the listed fields, with and without the instances list fast path', async () => {
    for (const extra of [{}, { EBCLI_NO_FAST_PATH: '1' }]) {
      for (const args of [['--json', 'id,name'], ['--json=id,name']]) {
        const r = await runCli(['instances', 'list', '-t', 'jq', ...args], { env: { ...cli.env, ...extra } });
        expect(r.code, r.stderr).toBe(0);
        expect(r.json()).toEqual([
          { id: ids[0], name: 'alpha' },
          { id: ids[1], name: 'beta' },
        ]);
      }
    }
    const show = await runCli(['instances', 'show', 'alpha', '--json', 'state,instance.name'], { env: cli.env });
    expect(show.json()).toEqual({ state: 'running', 'instance.name': 'alpha' });
    const all = await runCli(['workspaces', 'list', '--json'], { env: cli.env });
    expect(all.json()[0]).toHaveProperty('name');
  });

  it('reads a bare word after --json as the argument of a command that takes one', async () => {
    const r = await runCli(['instances', 'show', '--json', 'alpha'], { env: cli.env });
    expect(r.code, r.stderr).toBe(0);
    expect(r.json().instance.id).toBe(ids[0]);
  });

  it('refuses an unknown field with a usage error listing the available ones (JSON envelope)', async () => {
    const r = await runCli(['instances', 'list', '--json', 'id,nmae'], { env: cli.env });
    expect(r.code).toBe(2);
    expect(r.json().error).toMatchObject({ code: 'usage', exitCode: 2 });
    expect(r.json().error.message).toMatch(/^unknown JSON field nmae; available fields: .*\bid\b.*\bname\b/);
    const text = await runCli(['instances', 'reconfigure', 'alpha', '--no-wait', '--json=id,bogus'], { env: cli.env });
    expect(text.code).toBe(2);
    expect(text.stdout).toContain('unknown JSON field bogus');
    expect(text.stdout).not.toContain('accepted'); // checked before anything was started
  });

  it('keeps only the listed fields of every NDJSON event', async () => {
    expect((await runCli(['instances', 'reconfigure', 'alpha', '--no-wait'], { env: cli.env })).code).toBe(0);
    const r = await runCli(['events', '--since', '0', '--json', 'seq,type'], { env: cli.env });
    expect(r.code, r.stderr).toBe(0);
    const lines = r.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as object);
    expect(lines.length).toBeGreaterThan(0);
    for (const l of lines) expect(Object.keys(l)).toEqual(['seq', 'type']);
  });

  it('prints ids only with -q for lists and lifecycle commands', async () => {
    for (const extra of [{}, { EBCLI_NO_FAST_PATH: '1' }]) {
      const r = await runCli(['instances', 'list', '-t', 'jq', '-q'], { env: { ...cli.env, ...extra } });
      expect(r.stdout).toBe(`${ids[0]}\n${ids[1]}\n`);
    }
    const ws = await runCli(['workspaces', 'list', '--quiet'], { env: cli.env });
    expect(ws.stdout).toBe('admin\n');
    const op = await runCli(['instances', 'shutdown', 'beta', 'nosuch', '--no-wait', '-q'], { env: cli.env });
    expect(op.code).toBe(5);
    expect(op.stdout).toBe(`${ids[1]}\n`);
    expect(op.stderr).toContain('nosuch\terror');
    const both = await runCli(['instances', 'list', '-q', '--json'], { env: cli.env });
    expect(both.code).toBe(2);
  }, 60_000);

  it('takes the field list out of argv only where it cannot be an argument', () => {
    expect(extractJsonFields(['--json', 'id,name', 'x'], true)).toEqual({
      argv: ['--json', 'x'],
      fields: ['id', 'name'],
    });
    expect(extractJsonFields(['--json', 'web'], true)).toEqual({ argv: ['--json', 'web'], fields: undefined });
    expect(extractJsonFields(['--json', 'web'], false)).toEqual({ argv: ['--json'], fields: ['web'] });
    expect(extractJsonFields(['--', '--json', 'a,b'], false)).toEqual({ argv: ['--', '--json', 'a,b'] });
    expect(() => extractJsonFields(['--json=a;b'], false)).toThrow('expected comma-separated field names');
  });
});
