import { beforeAll, describe, expect, it } from 'vitest';
import { readableValidation } from '../../src/cli/validation-message.js';
import { seedInstance, useCliServer } from './helpers.js';
import { runCliInProcess as runCli } from './in-process.js';

// Every command that takes instance ids takes instance names too; one server for the whole file.
describe('instances by name', () => {
  const cli = useCliServer();
  const ids: Record<string, string> = {};
  let otherWorkspace = '';

  beforeAll(async () => {
    ids.api = (await seedInstance(cli.t, { name: 'api-server', tags: ['named'] })).id;
    ids.worker = (await seedInstance(cli.t, { name: 'worker', tags: ['named'] })).id;
    const ws = await runCli(['workspaces', 'create', 'second', '--json'], { env: cli.env });
    expect(ws.code, ws.stderr).toBe(0);
    otherWorkspace = (ws.json() as { id: string }).id;
    ids.twinA = (await seedInstance(cli.t, { name: 'twin' })).id;
    ids.twinB = (await seedInstance(cli.t, { name: 'twin', owner: otherWorkspace })).id;
  });

  it('shows an instance by name as by id', async () => {
    const byName = await runCli(['instances', 'show', 'api-server', '--json'], { env: cli.env });
    expect(byName.code, byName.stderr).toBe(0);
    expect(byName.json()).toMatchObject({ instance: { id: ids.api, name: 'api-server' } });
    const byId = await runCli(['instances', 'show', ids.api!, '--json'], { env: cli.env });
    expect(byId.json().instance.id).toBe(ids.api);
  });

  it('runs lifecycle operations, wait and logs on names', async () => {
    const wait = await runCli(['wait', 'worker', '--timeout', '20s', '--json'], { env: cli.env });
    expect(wait.stderr).not.toContain('must match');
    expect((wait.json() as { id: string }[]).map((r) => r.id)).toEqual([ids.worker]);
    const op = await runCli(['instances', 'reconfigure', 'api-server', 'worker', '--no-wait'], { env: cli.env });
    expect(op.code, op.stderr).toBe(0);
    expect(op.stdout).toContain(`${ids.api}\taccepted`);
    expect(op.stdout).toContain(`${ids.worker}\taccepted`);
    const logs = await runCli(['instances', 'logs', 'api-server'], { env: cli.env });
    expect(logs.code, logs.stderr).toBe(0);
    expect(logs.stderr).toContain(`Instance ${ids.api} has no machines`);
  }, 60_000);

  it('filters events by instance name', async () => {
    const r = await runCli(['events', '--instance', 'worker', '--since', '0', '--json'], { env: cli.env });
    expect(r.code, r.stderr).toBe(0);
    const events = r.stdout
      .trim()
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as { instance?: string });
    expect(events.length).toBeGreaterThan(0);
    expect(events.every((e) => e.instance === ids.worker)).toBe(true);
  });

  it('reports an unknown name with exit 6 and similar names, never the server validation text', async () => {
    const r = await runCli(['instances', 'show', 'api-servr'], { env: cli.env });
    expect(r.code).toBe(6);
    expect(r.stderr).toContain('no instance with id or name "api-servr"');
    expect(r.stderr).toContain('did you mean "api-server"');
    for (const ref of ['i-ABCDEF', 'no/such thing', 'x'.repeat(300)]) {
      const odd = await runCli(['instances', 'terminate', ref, '--yes', '--json'], { env: cli.env });
      expect(odd.code).toBe(6);
      expect(odd.stdout).not.toContain('must match');
      expect(odd.json().error).toMatchObject({ code: 'not_found', exitCode: 6 });
    }
  });

  it('refuses an ambiguous name and lists the candidates', async () => {
    const r = await runCli(['instances', 'show', 'twin'], { env: cli.env });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('2 instances are named "twin"');
    expect(r.stderr).toContain(ids.twinA);
    expect(r.stderr).toContain(`${ids.twinB}  twin  (workspace ${otherWorkspace}`);
    const json = await runCli(['instances', 'poweron', 'twin', '--no-wait', '--json'], { env: cli.env });
    expect(json.code).toBe(2);
    expect(json.json().error).toMatchObject({ code: 'ambiguous', exitCode: 2 });
    const scoped = await runCli(['events', '--instance', 'twin', '--workspace', otherWorkspace, '--json'], {
      env: cli.env,
    });
    expect(scoped.code, scoped.stderr).toBe(0);
  });

  it('words server validation errors for people', () => {
    expect(readableValidation('params/inst must match pattern "^i-[a-z0-9]{6}$"')).toBe(
      'the server refused the request: the instance id is not in the expected format',
    );
    expect(readableValidation('body/name must NOT have more than 30 characters')).toBe(
      'the server refused the request: field "name" is longer than 30 characters',
    );
    expect(readableValidation("body has an unknown field 'x'")).toBe(
      "the server refused the request: the request body has an unknown field 'x'",
    );
    expect(readableValidation('Instance i-abcdef is busy')).toBeUndefined();
  });
});
