import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const ROOT = join(import.meta.dirname, '..', '..');
const DEPCRUISE = join(ROOT, 'node_modules', 'dependency-cruiser', 'bin', 'dependency-cruise.mjs');
const CONFIG = join(ROOT, '.dependency-cruiser.cjs');

/**
 * Runs the lint step's dependency check exactly as `npm run lint` does (the repository's config,
 * default output) in `cwd`; returns its exit code and the violations it printed.
 */
async function cruise(cwd: string): Promise<{ code: number; violations: string[] }> {
  const run = await promisify(execFile)(process.execPath, [DEPCRUISE, 'src', '--config', CONFIG], { cwd }).then(
    (r) => ({ code: 0, stdout: r.stdout }),
    (err: { stdout?: string; code?: number }) => ({ code: err.code ?? -1, stdout: err.stdout ?? '' }),
  );
  const violations = [...run.stdout.matchAll(/^\s*error (\S+): (\S+) →\s+(\S+)/gm)].map(
    ([, rule, from, to]) => `${rule}: ${from} → ${to}`,
  );
  return { code: run.code, violations };
}

// The arrows of architecture.md as `npm run lint` checks them: a fixture tree breaks each rule once.
describe('layer boundaries (dependency-cruiser)', () => {
  it('flags each deliberate violation of the fixture, and only those', async () => {
    const r = await cruise(join(import.meta.dirname, 'fixture'));
    expect(r.violations.sort()).toEqual([
      'commands-layer: src/commands/reaches-server.ts → src/server/uses-cli.ts',
      'entry-points-are-leaves: src/agent/imports-entry.ts → src/agent/entry/main.ts',
      'no-circular: src/shared/ping.ts → src/shared/pong.ts',
      'server-layer: src/server/uses-cli.ts → src/cli/render.ts',
      'shared-layer: src/shared/reaches-up.ts → src/client/resource.ts',
    ]);
    expect(r.code).toBe(5);
  });

  it('the sources keep every arrow', async () => {
    const r = await cruise(ROOT);
    expect(r.violations).toEqual([]);
    expect(r.code).toBe(0);
  });
});
