import { randomUUID } from 'node:crypto';
import { mkdir, realpath } from 'node:fs/promises';
import { resolveInside } from '../../shared/paths.js';
import { lstatOrUndefined, writeAtomic } from './fs-safe.js';
import { BoxFolderError, SCHEMA_BASE } from './types.js';
import { dumpBoxYaml, safeName } from './write.js';

const SCRIPTS: Record<string, string> = {
  install: 'Install packages and write files the box needs.',
  configure: 'Render configuration; bindings are resolved before this runs.',
  start: 'Start services in the background (nohup/setsid) and record their pids.',
  stop: 'Stop what start started.',
  dispose: 'Terminate runs dispose without stop: stop services and remove what install wrote.',
};

/**
 * Creates `<boxesPath>/<name>/` as a new script box: box.yaml with a fresh id, one example variable,
 * executable event scripts and a readme. Refuses a folder that already exists. Returns its path.
 */
export async function initBoxFolder(boxesPath: string, name: string): Promise<string> {
  if (name.trim() === '' || safeName(name, '') !== name)
    throw new BoxFolderError(`A box name used as a folder name cannot be empty or contain / \\ or NUL: ${name}`);
  await mkdir(boxesPath, { recursive: true });
  const dir = resolveInside(await realpath(boxesPath), name);
  if (await lstatOrUndefined(dir)) throw new BoxFolderError(`${dir} already exists`);
  await mkdir(dir);
  await mkdir(resolveInside(dir, 'events'));
  for (const [event, what] of Object.entries(SCRIPTS)) {
    const script = `#!/bin/bash\n# ${what}\n# Runs in the instance's working directory; box variables are templates ({{ "{{ NAME }}" }}) and environment variables ($NAME).\nset -euo pipefail\necho "${event}: {{ GREETING }}"\n`;
    await writeAtomic(resolveInside(dir, 'events'), event, script, 0o700);
  }
  await writeAtomic(dir, 'readme.MD', `# ${name}\n\nDescribe what this box installs and how to use it.\n`, 0o644);
  const doc = {
    id: randomUUID(),
    name,
    description: '',
    requirements: ['linux'],
    schema: `${SCHEMA_BASE}boxes/script`,
    variables: [{ name: 'GREETING', required: false, type: 'Text', value: 'Hello', visibility: 'public' }],
  };
  await writeAtomic(dir, 'box.yaml', dumpBoxYaml(doc), 0o644);
  return dir;
}
