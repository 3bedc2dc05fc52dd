import { spawn } from 'node:child_process';
import { chmod, cp, mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readBoxFolder } from '../../src/client/box-folder/index.js';
import { dataFiles } from '../../src/shared/paths.js';
import { startTestServer, type TestServer } from '../helpers/server.js';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const EXAMPLES = join(ROOT, 'examples', 'boxes');

// Loads the commands from src/commands by discovery (never from a possibly stale oclif.manifest.json),
// then runs oclif's own `execute` as bin/dev.js does.
const RUNNER = `
import { execute, Plugin, settings } from '@oclif/core';
import { readFileSync } from 'node:fs';
const root = process.env.EBCLI_TEST_ROOT;
const pjson = JSON.parse(readFileSync(root + '/package.json', 'utf8'));
pjson.oclif.commands = './src/commands';
settings.enableAutoTranspile = false;
const plugin = new Plugin({ root, pjson, isRoot: true, type: 'core', ignoreManifest: true });
await plugin.load();
await execute({ args: process.argv.slice(1), loadOptions: { root, pjson, plugins: new Map([[plugin.name, plugin]]) } });
`;

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
  json: any;
}

let isolated: Record<string, string>;

/** Runs `ebcli ARGS` in a child process with its own config and data directories. */
function ebcli(args: string[], env: Record<string, string> = {}): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', '--no-warnings', '--input-type=module', '-e', RUNNER, ...args],
      { cwd: ROOT, env: { ...process.env, ...isolated, EBCLI_TEST_ROOT: ROOT, ...env }, stdio: 'pipe' },
    );
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) => {
      let json: unknown;
      try {
        json = JSON.parse(stdout);
      } catch {
        json = undefined;
      }
      resolve({ code, stdout, stderr, json });
    });
  });
}

const temp = () => mkdtemp(join(tmpdir(), 'ebcli-cli-boxes-'));

beforeAll(async () => {
  const home = await temp();
  isolated = {
    HOME: home,
    XDG_CONFIG_HOME: join(home, 'config'),
    XDG_DATA_HOME: join(home, 'data'),
    NO_COLOR: '1',
    EBCLI_URL: '',
    EBCLI_TOKEN: '',
    EBCLI_PROFILE: '',
  };
});

describe('boxes validate and init (no server)', () => {
  it('accepts an example box folder', async () => {
    const r = await ebcli(['boxes', 'validate', join(EXAMPLES, 'Nested Parent'), '--json']);
    expect(r.code).toBe(0);
    expect(r.json).toEqual({ dir: join(EXAMPLES, 'Nested Parent'), valid: true, problems: [] });
  });

  it('lists problems on stdout and exits 1 for an invalid folder', async () => {
    const boxes = await temp();
    await cp(join(EXAMPLES, 'Hello Web'), join(boxes, 'Hello Web'), { recursive: true });
    await writeFile(join(boxes, 'Hello Web', 'box.yaml'), 'name: Hello Web\nicon: ../../etc/passwd\n');
    await chmod(join(boxes, 'Hello Web', 'events', 'stop'), 0o644);
    const r = await ebcli(['boxes', 'validate', join(boxes, 'Hello Web')]);
    expect(r.code).toBe(1);
    expect(r.stdout.split('\n')).toEqual([
      'Hello Web/box.yaml\terror\ticon path escapes the box folder (..)',
      'Hello Web/events/stop\twarning\tscript is not executable (chmod u+x)',
      // box.yaml above lost the variables the scripts use
      "Hello Web/events/start:4\twarning\ttemplate variable 'HTTP_PORT' is not a variable of box Hello Web (it renders empty)",
      '',
    ]);
    expect(r.stderr).toMatch(/is not a valid box folder: 1 error/);
    const j = await ebcli(['boxes', 'validate', join(boxes, 'Hello Web'), '--json']);
    expect(j.json.error).toMatchObject({ code: 'failed', exitCode: 1 });
    expect(j.json.error.details).toHaveLength(3);
  });

  it('creates a skeleton that validates, and refuses to overwrite it', async () => {
    const boxes = await temp();
    const r = await ebcli(['boxes', 'init', 'New Box', '--boxes-path', boxes]);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(`${join(boxes, 'New Box')}\n`);
    expect((await ebcli(['boxes', 'validate', join(boxes, 'New Box')])).code).toBe(0);
    const again = await ebcli(['boxes', 'init', 'New Box', '--boxes-path', boxes, '--json']);
    expect(again.code).toBe(1);
    expect(again.json.error.message).toMatch(/already exists/);
  });

  it('refuses to import an invalid folder before contacting a server', async () => {
    const boxes = await temp();
    const r = await ebcli(['boxes', 'import', join(boxes, 'Missing'), '--url', 'https://127.0.0.1:9', '--json']);
    expect(r.code).toBe(1);
    expect(r.json.error.message).toMatch(/no such directory/);
  });
});

describe('boxes import and export against a real server', () => {
  let server: TestServer;
  let env: Record<string, string>;

  beforeAll(async () => {
    server = await startTestServer();
    env = { EBCLI_URL: server.url, EBCLI_TOKEN: server.token, EBCLI_CA_FILE: dataFiles(server.dataDir).caCert };
  });
  afterAll(async () => {
    await server?.stop();
  });

  it('imports a nested tree, exports it back, and versions a changed box', async () => {
    const boxes = await temp();
    await cp(EXAMPLES, boxes, { recursive: true });
    const imported = await ebcli(['boxes', 'import', join(boxes, 'Nested Parent'), '--json'], env);
    expect(imported.code).toBe(0);
    expect(imported.stderr).toMatch(/^Imported .*Nested Parent as box [0-9a-f-]{36} in workspace /);
    const [child, parent] = imported.json.boxes;
    expect([child.name, child.action, parent.name, parent.action]).toEqual([
      'Nested Child',
      'created',
      'Nested Parent',
      'created',
    ]);
    const remote = (await server.call('GET', `/services/boxes/${parent.id}`)).body;
    expect(remote.variables.find((v: { name: string }) => v.name === 'child').value).toBe(child.id);

    const out = await temp();
    const exported = await ebcli(['boxes', 'export', parent.id, '--boxes-path', out], env);
    expect(exported.code).toBe(0);
    expect(exported.stdout).toBe(`${join(out, 'Nested Parent')}\n${join(out, 'Nested Child')}\n`);
    const back = await readBoxFolder(join(out, 'Nested Parent'));
    const original = await readBoxFolder(join(boxes, 'Nested Parent'));
    expect(back.children[0]!.box.doc.id).toBe(child.id);
    expect(Object.keys(back.events).sort()).toEqual(Object.keys(original.events).sort());
    expect(back.events.install!.md5).toBe(original.events.install!.md5);
    expect(await readFile(join(out, 'Nested Parent', 'readme.MD')).catch(() => undefined)).toBeUndefined();

    await writeFile(join(boxes, 'Nested Child', 'events', 'stop'), '#!/bin/bash\necho "Nested Child:stop!"\n');
    const again = await ebcli(['boxes', 'import', join(boxes, 'Nested Parent'), '-m', 'changed stop', '--json'], env);
    expect(again.code).toBe(0);
    expect(again.json.boxes[0]).toMatchObject({ id: child.id, action: 'versioned' });
    const versions = (await server.call('GET', `/services/boxes/${child.id}/versions`)).body;
    expect(versions[0].version.description).toBe('changed stop');
  });

  it('imports a client box with the service its Binding names, rewriting the binding', async () => {
    const r = await ebcli(['boxes', 'import', join(EXAMPLES, 'Greeting Client'), '--json'], env);
    expect(r.code).toBe(0);
    const [service, client] = r.json.boxes;
    expect(service.name).toBe('Greeting Service');
    const doc = (await server.call('GET', `/services/boxes/${client.id}`)).body;
    expect(doc.variables.find((v: { name: string }) => v.name === 'service').value).toBe(service.id);
  });

  it('exits 6 when exporting a box that does not exist', async () => {
    const r = await ebcli(
      ['boxes', 'export', '00000000-0000-4000-8000-000000000000', '--boxes-path', await temp()],
      env,
    );
    expect(r.code).toBe(6);
  });
});
