// Runs the CLI from the TypeScript sources for subprocess tests, always discovering commands from
// src/commands (an oclif.manifest.json left by a build would otherwise hide newer commands).
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { handle, Plugin, run, settings } from '@oclif/core';
import { Exit } from '@oclif/core/handle';
import { exitAfterFlush, guardClosedOutput } from '../../src/cli/stdio.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
const pjson = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8'));
pjson.oclif.commands = './src/commands';
pjson.oclif.plugins = [];
settings.enableAutoTranspile = false;
// As bin/run.js: every exit waits until stdout and stderr are delivered.
guardClosedOutput();
Exit.exit = ((code?: number) => exitAfterFlush(code)) as typeof Exit.exit;
const plugin = new Plugin({ root, pjson, isRoot: true, ignoreManifest: true, type: 'core' });
await plugin.load();
try {
  await run(process.argv.slice(2), { root, pjson, plugins: new Map([[plugin.name, plugin]]) });
} catch (err) {
  await handle(err as Error);
}
exitAfterFlush();
