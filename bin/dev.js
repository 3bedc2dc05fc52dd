#!/usr/bin/env -S node --import tsx --no-warnings
// Runs the CLI from the TypeScript sources, no build needed: commands load from src/commands and
// the shipped manifest (which points at dist/) is ignored. tsx compiles the sources on the fly.
// CommonJS like bin/run.js (bin/package.json).
'use strict';
const { spawnSync } = require('node:child_process');
const { readFileSync } = require('node:fs');
const { join } = require('node:path');

async function main() {
  const { handle, Plugin, run, settings } = await import('@oclif/core');
  // As bin/run.js: every exit waits until stdout and stderr are delivered.
  const { exitAfterFlush, guardClosedOutput } = await import('../src/cli/stdio.ts');
  guardClosedOutput();
  require('@oclif/core/handle').Exit.exit = (code) => exitAfterFlush(code);
  const root = join(__dirname, '..');
  const pjson = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
  pjson.oclif.commands = './src/commands';
  // tsx is already registered; oclif must not remap paths through tsconfig.json.
  settings.enableAutoTranspile = false;

  const plugins = new Map();
  const rootPlugin = new Plugin({ root, pjson, isRoot: true, ignoreManifest: true });
  await rootPlugin.load();
  plugins.set(rootPlugin.name, rootPlugin);
  for (const name of pjson.oclif.plugins ?? []) {
    const plugin = new Plugin({ root, name, type: 'core', parent: rootPlugin });
    await plugin.load();
    plugins.set(plugin.name, plugin);
  }
  try {
    await run(process.argv.slice(2), { root, pjson, plugins });
  } catch (err) {
    await handle(err);
  }
  exitAfterFlush();
}

if (!process.execArgv.some((a) => a.includes('tsx'))) {
  // Started as `node bin/dev.js`: run again with tsx loaded.
  const args = ['--import', 'tsx', '--no-warnings', __filename, ...process.argv.slice(2)];
  process.exit(spawnSync(process.execPath, args, { stdio: 'inherit' }).status ?? 1);
} else {
  main().catch((err) => {
    process.stderr.write(`${err && err.stack ? err.stack : err}\n`);
    process.exit(1);
  });
}
