#!/usr/bin/env node
// Writes the V8 code cache of every command bundle in the folder given (`<bundle>.v8cache`, read by
// src/cli/bundle-loader.ts). Run by bundle-commands.js in a process of its own, with the V8 flags
// that bin/run.js sets for short commands: V8 accepts a cache only under the flags it was made with.
import { existsSync, readdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { setFlagsFromString } from 'node:v8';

const dir = process.argv[2];
setFlagsFromString('--liftoff-only');
// A bundle's top level only defines its modules and sets up output guards (one per bundle here).
process.stdout.setMaxListeners(0);
process.stderr.setMaxListeners(0);
const { loadBundle, writeBundleCache } = createRequire(import.meta.url)('../dist/cli/bundle-loader.cjs');
// Every bundle, and every chunk (dist/bundles/chunks, see bundle-commands.js).
const chunks = join(dir, 'chunks');
const files = [
  ...readdirSync(dir)
    .filter((f) => f.endsWith('.cjs'))
    .map((f) => join(dir, f)),
  ...(existsSync(chunks)
    ? readdirSync(chunks)
        .filter((f) => f.endsWith('.cjs'))
        .map((f) => join(chunks, f))
    : []),
];
for (const file of files) writeBundleCache(file, loadBundle(file));
