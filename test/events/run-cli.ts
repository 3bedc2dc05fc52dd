// Runs the CLI from the TypeScript sources for subprocess tests, always discovering commands from
// src/commands (an oclif.manifest.json left by a build would otherwise hide newer commands).
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { execute, Plugin, settings } from '@oclif/core';

const root = fileURLToPath(new URL('../..', import.meta.url));
const pjson = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8'));
pjson.oclif.commands = './src/commands';
pjson.oclif.plugins = [];
settings.enableAutoTranspile = false;
process.stdout.on('error', (err: NodeJS.ErrnoException) => {
  if (err.code === 'EPIPE') process.exit(0);
  throw err;
});
const plugin = new Plugin({ root, pjson, isRoot: true, ignoreManifest: true, type: 'core' });
await plugin.load();
await execute({ loadOptions: { root, pjson, plugins: new Map([[plugin.name, plugin]]) } });
