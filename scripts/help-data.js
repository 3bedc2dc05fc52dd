#!/usr/bin/env node
// Writes dist/cli/help-data.json: the commands and topics of the CLI exactly as oclif's Config
// loads them (root plugin and core plugins, aliases included), so src/cli/help-fast.ts can print
// help and "command not found" without loading oclif (start-up budget T3). Run after the manifest.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Config } from '@oclif/core';

/** The default shown in help: oclif's cacheDefaultValue (defaultHelp first, then default). */
async function helpDefault(flag) {
  const context = { flags: {}, options: flag };
  try {
    if (typeof flag.defaultHelp === 'function') return await flag.defaultHelp(context);
    return typeof flag.default === 'function' ? await flag.default(context) : flag.default;
  } catch {
    return undefined;
  }
}

const root = fileURLToPath(new URL('..', import.meta.url));
process.env.NODE_ENV ??= 'production';
// The shipped data must not depend on who builds: no user plugins, no user theme.
const empty = mkdtempSync(join(tmpdir(), 'ebcli-help-data-'));
process.env.EBCLI_DATA_DIR = empty;
process.env.EBCLI_CONFIG_DIR = empty;
try {
  const config = await Config.load({ root, userPlugins: false, devPlugins: false });
  if (config.theme) throw new Error('a theme is configured: help-fast.ts does not apply themes');
  // Flags whose default is a function (hasDynamicHelp): oclif's help loads the command to show the
  // default. Resolved here once, as oclif's Help.showHelp does; such defaults must be constants.
  for (const command of config.commands.filter((c) => c.hasDynamicHelp)) {
    const loaded = await command.load();
    for (const [name, flag] of Object.entries(loaded.flags ?? {})) {
      if (flag.type === 'boolean') continue;
      command.flags[name].default = await helpDefault(flag);
    }
    command.hasDynamicHelp = false;
  }
  const plugins = [...config.plugins.values()].map((p) => ({ name: p.name, state: p.pjson.oclif?.state }));
  const data = {
    pjson: config.pjson,
    bin: config.bin,
    dirname: config.dirname,
    topicSeparator: config.topicSeparator,
    plugins,
    // Loadable commands without their load functions (JSON drops them); help reads only data.
    commands: config.commands,
    topics: config.topics,
    // The first word of every command, alias and topic: anything else is an unknown command.
    words: [
      ...new Set(
        [...config.commands.map((c) => c.id), ...config.topics.map((t) => t.name)].map((id) => id.split(':')[0]),
      ),
    ],
  };
  const file = fileURLToPath(new URL('../dist/cli/help-data.json', import.meta.url));
  writeFileSync(file, `${JSON.stringify(data)}\n`);
  // bin/run.js reads only this index: the words tell an unknown command (help-fast), the ids pick a
  // command's bundle (src/cli/command-index.ts). An alias entry runs the command that lists it.
  const aliasesOf = (c) => [...(c.aliases ?? []), ...(c.hiddenAliases ?? [])];
  const ids = {};
  for (const c of config.commands) {
    const command = aliasesOf(c).includes(c.id)
      ? config.commands.find((o) => !aliasesOf(o).includes(o.id) && aliasesOf(o).includes(c.id))?.id
      : c.id;
    if (!command) throw new Error(`alias ${c.id} names no command`);
    ids[c.id] = { command, args: c.strict === false || Object.keys(c.args ?? {}).length > 0, plugin: c.pluginName };
  }
  const index = fileURLToPath(new URL('../dist/cli/command-index.json', import.meta.url));
  writeFileSync(index, `${JSON.stringify({ words: data.words, ids })}\n`);
  process.stdout.write(
    `wrote ${data.commands.length} commands and ${data.topics.length} topics to dist/cli/help-data.json\n`,
  );
} finally {
  rmSync(empty, { recursive: true, force: true });
}
