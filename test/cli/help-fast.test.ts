import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ROOT, ensureBuilt, runCli, runCliProbed, tempHome } from './helpers.js';

// Help and unknown commands are answered from dist/cli/help-fast.cjs without oclif's Config
// (start-up budget T3). The contract: byte for byte what oclif itself prints, with the same exit code.

ensureBuilt();
const data = JSON.parse(readFileSync(join(ROOT, 'dist', 'cli', 'help-data.json'), 'utf8')) as {
  commands: { id: string }[];
  topics: { name: string }[];
};

describe('help without oclif', () => {
  const home = tempHome();
  afterAll(() => home.cleanup());
  const oclif = { ...home.env, EBCLI_NO_FAST_PATH: '1' };

  it('prints what oclif prints for every command, alias and topic, and for unknown commands', async () => {
    const cases = [
      [],
      ['--help'],
      ['help'],
      ['help', 'instances', 'list'],
      ['no-such-command'],
      ['delpoy'],
      ['instnces', '--json'],
      ['no-such-command', '--help'],
      ['help', 'no-such-command'],
      ...data.commands.map((c) => [...c.id.split(':'), '--help']),
      ...data.topics.map((t) => ['help', ...t.name.split(':')]),
    ];
    expect(cases.length).toBeGreaterThan(60);
    const mismatches: string[] = [];
    const queue = [...cases];
    const worker = async () => {
      for (let args = queue.shift(); args; args = queue.shift()) {
        const [fast, slow] = await Promise.all([runCli(args, { env: home.env }), runCli(args, { env: oclif })]);
        const pick = (r: typeof fast) => ({ code: r.code, stdout: r.stdout, stderr: r.stderr });
        if (JSON.stringify(pick(fast)) !== JSON.stringify(pick(slow))) mismatches.push(args.join(' '));
        if (fast.code !== 0 && fast.code !== 2) mismatches.push(`${args.join(' ')}: exit ${fast.code}`);
      }
    };
    await Promise.all([worker(), worker()]);
    expect(mismatches).toEqual([]);
  }, 180_000);

  it('loads no oclif, command module, undici or ws for help and unknown commands', async () => {
    for (const args of [['--help'], ['deploy', '--help'], ['help', 'instances'], ['no-such-command']]) {
      const r = await runCliProbed(args, { env: home.env });
      expect(r.code).toBe(args[0] === 'no-such-command' ? 2 : 0);
      expect(r.loaded.files.some((f) => f.endsWith(join('dist', 'cli', 'help-fast.cjs')))).toBe(true);
      const heavy = r.loaded.files.filter((f) => f.includes('node_modules') || f.includes(join('dist', 'commands')));
      expect(heavy).toEqual([]);
    }
    const unknown = await runCli(['no-such-command'], { env: home.env });
    expect(unknown.stderr).toContain('command no-such-command not found');
  });

  it('leaves help to oclif when a user theme is configured', async () => {
    const configDir = join(home.env.XDG_CONFIG_HOME!, 'ebcli');
    mkdirSync(configDir, { recursive: true });
    writeFileSync(join(configDir, 'theme.json'), JSON.stringify({ command: 'cyan' }));
    try {
      const r = await runCliProbed(['--help'], { env: home.env });
      expect(r.code).toBe(0);
      expect(r.loaded.files.some((f) => f.includes(join('@oclif', 'core')))).toBe(true);
    } finally {
      rmSync(join(configDir, 'theme.json'));
    }
  });
});
