import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ensureBuilt, tempHome } from './helpers.js';
import { runCliInProcess as runCli } from './in-process.js';

/** A script box folder named `name` with the given event scripts. */
function boxFolder(root: string, name: string, events: Record<string, string>): string {
  const dir = join(root, name);
  mkdirSync(join(dir, 'events'), { recursive: true });
  writeFileSync(
    join(dir, 'box.yaml'),
    [
      `name: ${name}`,
      'schema: http://elasticbox.net/schemas/boxes/script',
      'variables:',
      '- name: PORT',
      '  type: Port',
      "  value: '8080'",
      '',
    ].join('\n'),
  );
  for (const [event, text] of Object.entries(events)) writeFileSync(join(dir, 'events', event), text, { mode: 0o755 });
  return dir;
}

// `boxes validate` parses every event script as the agent renders it (no server needed).
describe('boxes validate checks event script templates', () => {
  ensureBuilt();
  const home = tempHome();
  const root = mkdtempSync(join(tmpdir(), 'ebcli-templates-'));
  afterAll(() => {
    home.cleanup();
    rmSync(root, { recursive: true, force: true });
  });

  it('accepts box variables, the CAM context names and names the template binds', async () => {
    const dir = boxFolder(root, 'Clean', {
      install: [
        '#!/bin/bash',
        'echo {{ PORT }} {{ instance }} {{ address.private }} {{ variables.PORT }} {{ folder }}',
        '{% set x = 1 %}{% for a in addresses %}{{ a.public }} {{ loop.index }} {{ x }}{% endfor %}',
        '{% if PORT is defined %}{{ PORT | int }}{% endif %}',
        '',
      ].join('\n'),
    });
    const r = await runCli(['boxes', 'validate', dir, '--json'], { env: home.env });
    expect(r.code, r.stdout).toBe(0);
    expect(r.json().problems).toEqual([]);
  });

  it('reports syntax errors (exit 1) and unknown names and filters, with file and line', async () => {
    const dir = boxFolder(root, 'Broken', {
      install: '#!/bin/bash\necho ok\nn=${#list[@]}\n',
      configure: '#!/bin/bash\necho {{ PORT }}\necho {{ PROT }}\necho {{ PORT | nosuch }}\n',
    });
    const r = await runCli(['boxes', 'validate', dir, '--json'], { env: home.env });
    expect(r.code).toBe(1);
    const problems = r.json().error.details as { file: string; message: string; severity: string }[];
    expect(problems).toEqual(
      expect.arrayContaining([
        {
          file: 'Broken/events/install:3',
          message: 'template syntax error: expected end of comment, got end of file',
          severity: 'error',
        },
        {
          file: 'Broken/events/configure:3',
          message: "template variable 'PROT' is not a variable of box Broken (it renders empty)",
          severity: 'warning',
        },
        { file: 'Broken/events/configure:4', message: "template filter 'nosuch' does not exist", severity: 'error' },
      ]),
    );
    const text = await runCli(['boxes', 'validate', dir], { env: home.env });
    expect(text.stdout).toContain('Broken/events/install:3\terror\ttemplate syntax error');
  });
});
