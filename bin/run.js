#!/usr/bin/env node
// Entry point of the built CLI. `--version` is answered before oclif loads (startup budget T1),
// and plain `instances list` calls run without it (T2); everything else goes through oclif.
import { readFileSync } from 'node:fs';
import { setFlagsFromString } from 'node:v8';

const argv = process.argv.slice(2);

// undici parses HTTP with a WebAssembly module. Left to itself V8 re-compiles it with its optimising
// tier in background threads, and a finished command cannot exit until that is done (about 100 ms
// per run); the baseline compiler is plenty for a short command. Long-running ones keep the default.
if (argv[0] !== 'server' && argv[0] !== 'agent') setFlagsFromString('--liftoff-only');

// `ebcli … | head` closes stdout early; that is not an error.
process.stdout.on('error', (err) => {
  if (err.code === 'EPIPE') process.exit(0);
  throw err;
});

const pjson = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'));
const userAgent = `${pjson.name}/${pjson.version} ${process.platform}-${process.arch} node-${process.version}`;

if (argv.length === 1 && (argv[0] === '--version' || argv[0] === '-v')) {
  process.stdout.write(`${userAgent}\n`);
} else {
  // `instances list` runs without oclif when its arguments are plain (startup budget T2).
  if (argv[0] === 'instances' && !process.env.EBCLI_NO_FAST_PATH) {
    const { runFastPath } = await import('../dist/cli/fast-path.js');
    const code = await runFastPath(argv, userAgent);
    if (code !== undefined) process.exit(code);
  }
  const { execute } = await import('@oclif/core');
  await execute({ dir: import.meta.url });
  // Exit now rather than wait for idle keep-alive sockets and timers of a finished command.
  process.exit();
}
