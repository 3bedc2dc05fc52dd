/**
 * The program a local machine runs: the agent and the `elasticbox` helper command, each bundled
 * with esbuild into one self-contained ES module file. Machines run as another user (server as
 * root) and inside a mount namespace that hides the data directory and usually the repository, so
 * they cannot run `bin/run.js` from the checkout: the files are copied to `<data-dir>/agent/`
 * (0755 folder, 0644 files), which the machine's namespace mounts read-only.
 *
 * `npm run build` writes them to `dist/agent-bundle/` (scripts/bundle-agent.js); a server running
 * from the TypeScript sources without a build bundles the sources on first use (development).
 */
import { chmodSync, copyFileSync, renameSync, existsSync, mkdirSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const AGENT_FILE = 'agent.mjs';
export const HELPER_FILE = 'helper-cli.mjs';
export const HOST_AGENT_FILE = 'host-agent.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const projectRoot = resolve(here, '..', '..', '..');
const builtDir = join(projectRoot, 'dist', 'agent-bundle');

/** Bundles the agent entry and the helper CLI into `outDir`. `ext` is `ts` (sources) or `js` (dist). */
export async function bundleAgentProgram(srcRoot: string, outDir: string, ext: 'ts' | 'js'): Promise<void> {
  const { build } = await import('esbuild');
  await build({
    entryPoints: {
      agent: join(srcRoot, 'agent', 'entry', `local-agent-main.${ext}`),
      'helper-cli': join(srcRoot, 'agent', 'entry', `helper-cli.${ext}`),
      'host-agent': join(srcRoot, 'agent', 'entry', `host-agent-main.${ext}`),
    },
    outdir: outDir,
    outExtension: { '.js': '.mjs' },
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    // CommonJS dependencies (ws, nunjucks) call `require`; ES modules have none of their own.
    banner: {
      js: "import { createRequire as __ebcliRequire } from 'node:module'; const require = __ebcliRequire(import.meta.url);",
    },
    // Optional native or file-watching add-ons, loaded in try/catch by their users.
    external: ['bufferutil', 'utf-8-validate', 'chokidar', 'fsevents'],
    logLevel: 'warning',
  });
}

/** The agent program other hosts install (src/agent/program.ts), in dist/agent-bundle/. */
export const STANDALONE_AGENT_FILE = 'ebcli-agent.mjs';

/** Where the build put the standalone agent (undefined without a build). */
export function builtStandaloneAgent(): string | undefined {
  const file = join(builtDir, STANDALONE_AGENT_FILE);
  return existsSync(file) ? file : undefined;
}

/**
 * Bundles src/agent/program into ONE file that needs nothing but Node ≥ 18: its dependencies
 * inlined, and the `elasticbox` helper (bundled first, by {@link bundleAgentProgram}, into
 * `outDir`) carried as a string the agent writes out on start.
 */
export async function bundleStandaloneAgent(srcRoot: string, outDir: string, ext: 'ts' | 'js'): Promise<string> {
  const { build } = await import('esbuild');
  const helperSource = readFileSync(join(outDir, HELPER_FILE), 'utf8');
  const outfile = join(outDir, STANDALONE_AGENT_FILE);
  await build({
    entryPoints: [join(srcRoot, 'agent', `program.${ext}`)],
    outfile,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node18',
    define: { __EBCLI_HELPER_SOURCE__: JSON.stringify(helperSource) },
    banner: {
      js: "#!/usr/bin/env node\nimport { createRequire as __ebcliRequire } from 'node:module'; const require = __ebcliRequire(import.meta.url);",
    },
    external: ['bufferutil', 'utf-8-validate', 'chokidar', 'fsevents'],
    logLevel: 'warning',
  });
  return outfile;
}

const sameFile = (a: string, b: string): boolean => {
  try {
    return readFileSync(a).equals(readFileSync(b));
  } catch {
    return false;
  }
};

/**
 * Puts the agent program into `<dataDir>/agent/` (readable by everyone, writable by the server's
 * user only) and returns that folder. Copies the build's bundle; without a build, bundles the sources.
 */
export async function installAgentProgram(dataDir: string): Promise<string> {
  const target = join(dataDir, 'agent');
  mkdirSync(target, { recursive: true, mode: 0o755 });
  chmodSync(target, 0o755);
  const files = [AGENT_FILE, HELPER_FILE, HOST_AGENT_FILE];
  if (files.every((f) => existsSync(join(builtDir, f)))) {
    for (const f of files) {
      if (sameFile(join(builtDir, f), join(target, f))) continue;
      // Copied aside, then renamed: an agent starting meanwhile reads the old file or the new, never half of one.
      copyFileSync(join(builtDir, f), join(target, `${f}.tmp`));
      renameSync(join(target, `${f}.tmp`), join(target, f));
    }
  } else if (here.endsWith(join('src', 'server', 'providers'))) {
    await bundleAgentProgram(join(projectRoot, 'src'), target, 'ts');
  } else {
    throw new Error(`the agent program is missing (${builtDir}): run npm run build`);
  }
  for (const f of files) chmodSync(join(target, f), 0o644);
  return target;
}
