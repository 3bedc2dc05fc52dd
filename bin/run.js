#!/usr/bin/env node
// Entry point of the built CLI. It is CommonJS (bin/package.json) because starting Node's ES module
// loader costs several milliseconds that short commands cannot spare: `--version` is answered
// before oclif loads (startup budget T1), help and unknown commands are printed from one bundled
// CommonJS file without oclif's Config (T3), and every command runs from its own bundle, the
// command class with just what it imports (T2; scripts/bundle-commands.js,
// src/cli/bundled-command.ts). oclif's `run` serves what those step aside for: commands of
// plugins, user plugins or themes, DEBUG, and EBCLI_NO_FAST_PATH=1. Every path ends with
// exitAfterFlush (src/cli/stdio.ts): nothing exits while a slow reader has not yet taken all of
// stdout and stderr.
'use strict';
const { existsSync, readFileSync } = require('node:fs');
const { join } = require('node:path');

const argv = process.argv.slice(2);
const root = join(__dirname, '..');

// How a command exits (after its output is delivered) and what a reader closing early does.
const { exitAfterFlush, guardClosedOutput } = require('../dist/cli/stdio.cjs');
guardClosedOutput();

const pjson = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
const userAgent = `${pjson.name}/${pjson.version} ${process.platform}-${process.arch} node-${process.version}`;

/** A bundled start path (scripts/bundle-start-paths.js, bundle-commands.js), or undefined when it was not built. */
function bundled(path) {
  try {
    return require(`../dist/${path}.cjs`);
  } catch (err) {
    if (err.code === 'MODULE_NOT_FOUND' && String(err.message).includes(`${path}.cjs`)) return undefined;
    throw err;
  }
}

/** A command's bundle, loaded with its V8 code cache (src/cli/bundle-loader.ts), or undefined when it was not built. */
function commandBundle(id) {
  const file = join(root, 'dist', 'bundles', `${id.replaceAll(':', '-')}.cjs`);
  const loader = bundled('cli/bundle-loader');
  if (!loader || !existsSync(file)) return undefined;
  // What a bundle imports dynamically (server code, chalk) is imported from here, a real module.
  globalThis.__ebcliImport = (specifier) => import(specifier);
  const loaded = loader.loadBundle(file);
  return { run: loaded.exports.run, trained: () => loader.saveRunCache(loaded) };
}

/** The commands, aliases and first words of the CLI (written by scripts/help-data.js). */
function commandIndex() {
  try {
    return JSON.parse(readFileSync(join(root, 'dist', 'cli', 'command-index.json'), 'utf8'));
  } catch {
    return undefined;
  }
}

/**
 * Whether argv may be a help request (no arguments, `help …`, `--help` before any `--`) or an
 * unknown command (a first word that no command, alias or topic starts with). The help fast path
 * decides for itself; this only spares other commands from loading it.
 */
function helpLike(args, index) {
  if (args.length === 0 || args[0] === 'help') return true;
  const end = args.indexOf('--');
  if ((end < 0 ? args : args.slice(0, end)).includes('--help')) return true;
  if (args[0].startsWith('-')) return false;
  return Boolean(index) && !index.words.includes(args[0]);
}

async function main() {
  if (argv.length === 1 && (argv[0] === '--version' || argv[0] === '-v')) {
    process.stdout.write(`${userAgent}\n`);
    return exitAfterFlush(0);
  }
  // undici parses HTTP with a WebAssembly module. Left to itself V8 re-compiles it with its optimising
  // tier in background threads, and a finished command cannot exit until that is done (about 100 ms
  // per run); the baseline compiler is plenty for a short command. Long-running ones keep the default.
  const shortCommand = argv[0] !== 'server' && argv[0] !== 'agent';
  if (shortCommand) require('node:v8').setFlagsFromString('--liftoff-only');
  const fastPaths = !process.env.EBCLI_NO_FAST_PATH;
  const index = fastPaths ? commandIndex() : undefined;
  // Help and unknown commands are printed by oclif's own Help class without oclif's Config (T3).
  const help = index && helpLike(argv, index) ? bundled('cli/help-fast') : undefined;
  if (help) {
    const code = await help.runHelpFastPath(argv, root, userAgent);
    if (code !== undefined) return exitAfterFlush(code);
  }
  // Every command of the CLI runs from its own bundle (T2).
  const named = index && bundled('cli/command-index')?.commandOf(argv, index);
  const command = named && named.plugin === pjson.name ? commandBundle(named.command) : undefined;
  if (command) {
    const code = await command.run(named.argv, { root, id: named.command, userAgent, pjson });
    // The first run of a command leaves a code cache with what it compiled (src/cli/bundle-loader.ts),
    // under the flags short commands run with (the build's caches are made under them too).
    if (shortCommand) command.trained();
    if (code !== undefined) return exitAfterFlush(code);
  }
  // oclif's `execute` without its `flush` (not awaited, and failing after 10 s with a slow reader):
  // run the command, let oclif print what it throws, and exit once the output is delivered. oclif's
  // error handler exits through `Exit.exit`, its documented stub point, routed to exitAfterFlush.
  require('@oclif/core/handle').Exit.exit = (code) => exitAfterFlush(code);
  const { run, handle } = await import('@oclif/core');
  try {
    await run(argv, root);
  } catch (err) {
    await handle(err);
  }
  // Exit now rather than wait for idle keep-alive sockets and timers of a finished command.
  exitAfterFlush();
}

main().catch((err) => {
  process.stderr.write(`${err && err.stack ? err.stack : err}\n`);
  exitAfterFlush(1);
});
