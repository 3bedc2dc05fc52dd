import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Agent, request } from 'undici';
import { afterAll, describe, expect, it } from 'vitest';
import { readServerState } from '../../src/server/start.js';
import { dataFiles } from '../../src/shared/paths.js';
import { ensureBuilt, runCli, tempHome } from '../cli/helpers.js';
import { freshPostgresDatabase, stopOwnCluster } from '../helpers/store.js';

const home = tempHome();
const root = mkdtempSync(join(tmpdir(), 'ebcli-replicas-'));
const dataDirs = [join(root, 'a'), join(root, 'b')];

afterAll(async () => {
  for (const dir of dataDirs) await runCli(['server', 'stop', '--data-dir', dir], { env: home.env });
  home.cleanup();
  rmSync(root, { recursive: true, force: true });
  stopOwnCluster();
});

async function call(dataDir: string, method: string, path: string, token: string, body?: unknown) {
  const state = readServerState(dataDir)!;
  const dispatcher = new Agent({ connect: { ca: readFileSync(state.caFile, 'utf8') } });
  try {
    const res = await request(`${state.url}${path}`, {
      method: method as 'GET',
      dispatcher,
      headers: { 'elasticbox-token': token, ...(body ? { 'content-type': 'application/json' } : {}) },
      body: body ? JSON.stringify(body) : undefined,
    });
    return { status: res.statusCode, body: (await res.body.json()) as any };
  } finally {
    await dispatcher.close();
  }
}

describe('ebcli server start with EBCLI_DATABASE_URL: two replicas on one PostgreSQL database', () => {
  it('started together, both serve one control plane; the URL never reaches a command line', async () => {
    ensureBuilt();
    const url = await freshPostgresDatabase();
    const env = { ...home.env, EBCLI_DATABASE_URL: url };
    // Both first starts at once on the empty database: migrations and the bootstrap race.
    const starts = await Promise.all(
      dataDirs.map((dir) => runCli(['server', 'start', '--data-dir', dir, '--json'], { env })),
    );
    for (const [i, started] of starts.entries()) {
      expect(started.code, started.stderr).toBe(0);
      const pid = started.json().pid as number;
      expect(readFileSync(`/proc/${pid}/cmdline`, 'utf8')).not.toContain('postgres');
      // The store is not in the data directory: no SQLite file was made.
      expect(existsSync(dataFiles(dataDirs[i]!).database)).toBe(false);
    }
    // Exactly one replica bootstrapped the admin; the other found it in the database.
    const bootstrapped = dataDirs.filter((dir) => existsSync(dataFiles(dir).adminToken));
    expect(bootstrapped).toHaveLength(1);
    const a = bootstrapped[0]!;
    const b = dataDirs.find((dir) => dir !== a)!;
    const token = readFileSync(dataFiles(a).adminToken, 'utf8').trim();

    const made = await call(a, 'POST', '/services/boxes', token, {
      schema: 'http://elasticbox.net/schemas/boxes/script',
      name: 'Shared',
      requirements: ['linux'],
    });
    expect(made.status).toBe(200);
    const seen = await call(b, 'GET', `/services/boxes/${made.body.id}`, token);
    expect(seen).toEqual({ status: 200, body: made.body });
    const renamed = await call(b, 'PUT', `/services/boxes/${made.body.id}`, token, { ...made.body, name: 'Renamed' });
    expect(renamed.status).toBe(200);
    expect((await call(a, 'GET', `/services/boxes/${made.body.id}`, token)).body.name).toBe('Renamed');
  }, 90_000);
});
