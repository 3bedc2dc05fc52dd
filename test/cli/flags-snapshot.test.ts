import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ensureBuilt, ROOT } from './helpers.js';

interface ManifestFlag {
  name: string;
  char?: string;
  type: 'boolean' | 'option';
  multiple?: boolean;
  required?: boolean;
  default?: unknown;
  options?: string[];
  allowNo?: boolean;
  exclusive?: string[];
  dependsOn?: string[];
}

interface ManifestCommand {
  id: string;
  aliases: string[];
  hiddenAliases?: string[];
  strict?: boolean;
  flags: Record<string, ManifestFlag>;
  args: Record<string, { name: string; required?: boolean }>;
}

function manifest(): Record<string, ManifestCommand> {
  ensureBuilt();
  return JSON.parse(readFileSync(join(ROOT, 'oclif.manifest.json'), 'utf8')).commands;
}

/** The CLI's surface, generated from the manifest; a change here is a change to the contract. */
describe('command surface', () => {
  it('matches the snapshot of every command, its aliases, arguments and flags', () => {
    const surface = Object.values(manifest())
      .sort((a, b) => a.id.localeCompare(b.id))
      .map((c) => ({
        command: c.id.replaceAll(':', ' '),
        aliases: [...c.aliases, ...(c.hiddenAliases ?? [])].sort(),
        args: Object.values(c.args).map((a) => `${a.name}${a.required ? '' : '?'}${c.strict === false ? '…' : ''}`),
        flags: Object.values(c.flags)
          .sort((a, b) => a.name.localeCompare(b.name))
          .map((f) =>
            [
              `--${f.name}`,
              f.char ? `-${f.char}` : '',
              f.type === 'option' ? '<value>' : '',
              f.multiple ? '…' : '',
              f.required ? 'required' : '',
              f.allowNo ? `--no-${f.name}` : '',
              f.options ? `(${f.options.join('|')})` : '',
              f.default !== undefined && typeof f.default !== 'function' ? `=${String(f.default)}` : '',
              f.exclusive?.length ? `!${f.exclusive.join(',')}` : '',
              f.dependsOn?.length ? `needs ${f.dependsOn.join(',')}` : '',
            ]
              .filter(Boolean)
              .join(' '),
          ),
      }));
    expect(surface).toMatchSnapshot();
  });

  it('offers the original ebcli top-level verbs as aliases', () => {
    const commands = Object.values(manifest());
    const aliases = new Set([
      ...commands.map((c) => c.id),
      ...commands.flatMap((c) => [...c.aliases, ...(c.hiddenAliases ?? [])]),
    ]);
    const verbs = ['instances', 'boxes', 'workspaces', 'deploy', 'reconfigure', 'reinstall', 'poweron', 'shutdown'];
    for (const verb of [...verbs, 'terminate', 'delete', 'export', 'import']) {
      expect(aliases.has(verb), verb).toBe(true);
    }
  });
});
