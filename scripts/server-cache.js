#!/usr/bin/env node
// Writes the V8 code cache of the server bundle given (`<bundle>.v8cache`, read by
// src/cli/bundle-loader.ts). Run by bundle-server.js in a process of its own, without the V8 flags
// bin/run.js sets for short commands: V8 accepts a cache only under the flags it was made with, and
// the server runs with none.
import { createRequire } from 'node:module';

const file = process.argv[2];
const { loadBundle, writeBundleCache } = createRequire(import.meta.url)('../dist/cli/bundle-loader.cjs');
writeBundleCache(file, loadBundle(file));
