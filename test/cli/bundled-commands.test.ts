import { execFile } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Config } from '@oclif/core';
import { normalizeArgv } from '@oclif/core/help';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadBundle, saveRunCache, writeBundleCache } from '../../src/cli/bundle-loader.js';
import { commandOf, type CommandIndex } from '../../src/cli/command-index.js';
import { startTestServer, type TestServer } from '../helpers/server.js';
import {
  ensureBuilt,
  ROOT,
  runCli,
  runCliProbed,
  seedInstance,
  serverEnv,
  tempHome,
  type TempHome,
} from './helpers.js';

/**
 * Every command starts from its own CommonJS bundle (issue 9, startup budget T2): bin/run.js picks
 * the bundle with the command index, and the bundle runs the command class oclif would run. These
 * tests hold the two paths together: the same command for the same argv, the same output, and a
 * start that loads neither oclif's Config nor undici nor the ES module loader.
 */

/** Runs node with `args`; resolves with its exit code and output. */
function runNode(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, args, { maxBuffer: 1 << 24 }, (err, stdout, stderr) =>
      resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr }),
    );
  });
}

const manifest = () =>
  (JSON.parse(readFileSync(join(ROOT, 'oclif.manifest.json'), 'utf8')) as { commands: Record<string, unknown> })
    .commands;
const index = () => JSON.parse(readFileSync(join(ROOT, 'dist', 'cli', 'command-index.json'), 'utf8')) as CommandIndex;

describe('bundled commands', () => {
  let t: TestServer;
  let home: TempHome;
  let env: Record<string, string | undefined>;
  let instance: string;
  let box: string;
  const deployed: string[] = [];

  beforeAll(async () => {
    ensureBuilt();
    // No workflow worker runs: a deploy is accepted and stored as the CLI sees it, no machine starts.
    t = await startTestServer(undefined, { tunables: { concurrency: 0 } });
    home = tempHome();
    env = { ...home.env, ...serverEnv(t) };
    instance = (await seedInstance(t, { name: 'bundled-web', tags: ['web'] })).id;
    const created = await t.call('POST', '/services/boxes', {
      body: {
        schema: 'http://elasticbox.net/schemas/boxes/script',
        name: 'Bundled Box',
        requirements: ['linux'],
        variables: [],
        events: {},
      },
    });
    expect(created.status).toBe(200);
    box = (created.body as { id: string }).id;
  }, 60_000);

  afterAll(async () => {
    await t?.stop();
    home?.cleanup();
  });

  it('has a bundle for every command of the manifest', () => {
    const ids = Object.keys(manifest());
    expect(ids.length).toBeGreaterThan(40);
    const missing = ids.filter((id) => !existsSync(join(ROOT, 'dist', 'bundles', `${id.replaceAll(':', '-')}.cjs`)));
    expect(missing).toEqual([]);
  });

  it('loads every bundle and chunk from its V8 code cache under the flags bin/run.js sets, and without a usable cache too', async () => {
    const loader = join(ROOT, 'dist', 'cli', 'bundle-loader.cjs');
    const script = `
      require('node:v8').setFlagsFromString('--liftoff-only');
      const { loadBundle } = require(${JSON.stringify(loader)});
      const { join } = require('node:path');
      const { readdirSync } = require('node:fs');
      const dir = ${JSON.stringify(join(ROOT, 'dist', 'bundles'))};
      const files = [
        ...readdirSync(dir).filter((f) => f.endsWith('.cjs')),
        ...readdirSync(join(dir, 'chunks')).filter((f) => f.endsWith('.cjs')).map((f) => join('chunks', f)),
      ];
      if (!files.includes(join('chunks', 'box-folder.cjs'))) throw new Error('no box-folder chunk');
      process.stdout.write(JSON.stringify(files.filter((f) => !loadBundle(join(dir, f)).cached)));`;
    const r = await runNode(['-e', script]);
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual([]);
    // A cache V8 refuses (here: not one at all) costs a compile, nothing else.
    const dir = mkdtempSync(join(tmpdir(), 'ebcli-bundle-'));
    try {
      const copy = join(dir, 'whoami.cjs');
      copyFileSync(join(ROOT, 'dist', 'bundles', 'whoami.cjs'), copy);
      writeFileSync(`${copy}.v8cache`, 'not a code cache');
      const loaded = loadBundle(copy);
      expect(loaded.cached).toBe(false);
      expect(typeof (loaded.exports as { run?: unknown }).run).toBe('function');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('keeps the box-folder library (YAML, nunjucks) in a chunk of its own, loaded from its code cache', () => {
    // Code of the YAML library: in the chunk, not in the bundles that import the library dynamically.
    const yamlText = 'Symbol.for("yaml.alias")';
    const chunk = join(ROOT, 'dist', 'bundles', 'chunks', 'box-folder.cjs');
    expect(readFileSync(chunk, 'utf8')).toContain(yamlText);
    for (const id of ['deploy', 'apply']) {
      const text = readFileSync(join(ROOT, 'dist', 'bundles', `${id}.cjs`), 'utf8');
      expect(text).not.toContain(yamlText);
      expect(text).toContain('__chunk("box-folder")');
    }
  });

  it('writes a code cache after a run, and later loads use it; an unwritable install keeps the build cache', () => {
    const dir = mkdtempSync(join(tmpdir(), 'ebcli-bundle-'));
    try {
      const copy = join(dir, 'whoami.cjs');
      copyFileSync(join(ROOT, 'dist', 'bundles', 'whoami.cjs'), copy);
      // The cache made by a fresh load under this process's flags stands in for the build's.
      writeBundleCache(copy, loadBundle(copy));
      const first = loadBundle(copy);
      expect(first.cached).toBe(true);
      expect(first.runCached).toBe(false);
      saveRunCache(first);
      expect(existsSync(`${copy}.v8cache-run`)).toBe(true);
      const second = loadBundle(copy);
      expect(second.cached).toBe(true);
      expect(second.runCached).toBe(true);
      // A bundle whose folder is gone (as good as unwritable): nothing thrown, nothing left behind.
      rmSync(dir, { recursive: true, force: true });
      expect(() => saveRunCache(first)).not.toThrow();
      expect(existsSync(dir)).toBe(false);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('finds the command oclif finds for the same argv, aliases and arguments included', async () => {
    const config = await Config.load({ root: ROOT, userPlugins: false, devPlugins: false });
    const samples = [
      ['instances'],
      ['instances', 'list', '-t', 'web'],
      ['instances', '--state', 'failed'],
      ['instances', 'show', 'web-1'],
      ['instances', 'show', 'list'],
      ['instances', 'terminate', 'a', 'b'],
      ['terminate', 'x', '--force'],
      ['boxes'],
      ['boxes', 'list', '--json', 'id,name'],
      ['boxes', 'list', '--json', 'id,nmae'],
      ['boxes', 'show', 'my box'],
      ['deploy', 'examples/web', '-v', 'PORT=8080'],
      ['deploy', 'list'],
      ['workspaces'],
      ['workspaces', 'show', 'admin'],
      ['server', 'status'],
      ['profiles', 'use', 'ci'],
      ['help', 'exit-codes'],
      ['exit-codes'],
      ['whoami', 'extra'],
      ['whoami'],
      ['events', '--since', '0'],
      ['nosuch', 'command'],
      ['instances', 'nosuch'],
      ['autocomplete', 'bash'],
    ];
    for (const argv of samples) {
      const [id, ...rest] = normalizeArgv(config, [...argv]);
      const found = config.findCommand(id ?? '');
      const named = commandOf(argv, index());
      if (!found) expect(named, argv.join(' ')).toBeUndefined();
      else {
        const real = found.aliases.includes(found.id) || found.hiddenAliases.includes(found.id) ? undefined : found.id;
        expect(named, argv.join(' ')).toBeDefined();
        if (real) expect(named!.command, argv.join(' ')).toBe(real);
        expect(named!.argv, argv.join(' ')).toEqual(rest);
        expect(named!.plugin, argv.join(' ')).toBe(found.pluginName);
      }
    }
  });

  it('starts each common command without oclif, undici or the ES module loader', async () => {
    const commands = [
      ['boxes', 'list'],
      ['instances', 'show', instance],
      ['whoami'],
      ['workspaces', 'list'],
      ['providers', 'list'],
      ['deploy', box, '--no-wait', '--name', 'bundled-deploy'],
      ['instances', 'list'],
    ];
    for (const argv of commands) {
      const r = await runCliProbed(argv, { env });
      expect(r.code, `${argv.join(' ')}: ${r.stderr}`).toBe(0);
      if (argv[0] === 'deploy') deployed.push(r.stdout.trim());
      const bundle = join(
        'dist',
        'bundles',
        `${argv[0]}${argv[0] === 'whoami' || argv[0] === 'deploy' ? '' : `-${argv[1]}`}.cjs`,
      );
      expect(
        r.loaded.files.some((f) => f.endsWith(bundle)),
        argv.join(' '),
      ).toBe(true);
      expect(
        r.loaded.files.filter((f) => f.includes('@oclif') || f.includes('undici')),
        argv.join(' '),
      ).toEqual([]);
      expect(r.loaded.builtins, argv.join(' ')).not.toContain('NativeModule internal/modules/esm/module_job');
      // fs/promises (with readline's modules) is required on first use, and none of these uses it.
      expect(r.loaded.builtins, argv.join(' ')).not.toContain('NativeModule internal/readline/interface');
    }
    expect(deployed[0]).toMatch(/^i-|^[0-9a-f-]{8,}/);
  }, 60_000);

  it('prints what oclif prints: data, JSON, errors and usage errors, with the same exit codes', async () => {
    const cases = [
      ['boxes', 'list'],
      ['boxes', 'list', '--json', 'id,name'],
      ['boxes', 'list', '--json', 'id,nmae'],
      ['instances', 'show', instance, '--json'],
      ['instances', 'show', 'no-such-instance'],
      ['instances', 'show', 'no-such-instance', '--json'],
      ['workspaces', 'list', '-q'],
      ['providers', 'list', '--json'],
      ['boxes', 'list', '--bogus'],
      ['instances', 'list', '--state', 'sideways'],
      ['instances', 'show'],
      ['help', 'exit-codes'],
    ];
    for (const argv of cases) {
      const bundled = await runCli(argv, { env });
      const oclif = await runCli(argv, { env: { ...env, EBCLI_NO_FAST_PATH: '1' } });
      expect({ code: bundled.code, stdout: bundled.stdout, stderr: bundled.stderr }, argv.join(' ')).toEqual({
        code: oclif.code,
        stdout: oclif.stdout,
        stderr: oclif.stderr,
      });
    }
  }, 120_000);

  it('steps aside for oclif when a user plugin list exists or debugging is on', async () => {
    const other = tempHome();
    try {
      const pluginDir = join(other.env.XDG_DATA_HOME!, 'ebcli');
      mkdirSync(pluginDir, { recursive: true });
      writeFileSync(join(pluginDir, 'package.json'), JSON.stringify({ private: true, oclif: { plugins: [] } }));
      for (const extra of [other.env, { ...home.env, EBCLI_DEBUG: '1' }]) {
        const r = await runCliProbed(['whoami'], { env: { ...env, ...extra } });
        expect(r.code, r.stderr).toBe(0);
        // Bundles hold their own copy of oclif's modules: files of the package mean oclif's run took over.
        expect(r.loaded.files.some((f) => f.includes(join('node_modules', '@oclif', 'core', 'lib', 'config')))).toBe(
          true,
        );
      }
    } finally {
      other.cleanup();
    }
  }, 30_000);
});
