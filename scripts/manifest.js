#!/usr/bin/env node
// Writes oclif.manifest.json (what `oclif manifest` does) with @oclif/core alone: load the root
// plugin from the built commands, ignoring any existing manifest, and fail on any command that
// cannot be loaded.
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Plugin } from '@oclif/core';

const root = fileURLToPath(new URL('..', import.meta.url));
process.env.NODE_ENV ??= 'production';
const plugin = new Plugin({ root, type: 'core', isRoot: true, ignoreManifest: true, errorOnManifestCreate: true });
await plugin.load();
const file = fileURLToPath(new URL('../oclif.manifest.json', import.meta.url));
writeFileSync(file, `${JSON.stringify(plugin.manifest, null, 2)}\n`);
process.stdout.write(`wrote ${Object.keys(plugin.manifest.commands).length} commands to oclif.manifest.json\n`);
