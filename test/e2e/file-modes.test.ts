import { chmodSync, existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { createBox, deploy, fastTunables, killAgents, settled } from './helpers.js';
import { serverSecretFiles } from '../../src/server/secret-files.js';
import { dataFiles } from '../../src/shared/paths.js';

let t: TestServer;
const umask = process.umask(0o022);

// About the files of the data directory, the SQLite database and its WAL among them: the embedded
// store on every run (test/setup/postgres-pass.ts leaves this file out of the PostgreSQL pass).
beforeAll(async () => {
  fastTunables();
  t = await startTestServer(undefined, { embedded: true });
});
afterAll(async () => {
  const dataDir = t.dataDir;
  await t.server.close();
  await killAgents(dataDir);
  await t.stop().catch(() => undefined);
  process.umask(umask);
});

const mode = (file: string) => statSync(file).mode & 0o777;

describe('secrets under the data directory (umask 022)', () => {
  it('are 0600 after a real start and a deploy: database, WAL, SHM, admin token and password, TLS keys', async () => {
    const box = await createBox(t, { name: 'Modes', events: { install: '#!/bin/bash\necho installed\n' } });
    const res = await deploy(t, box.id, 'Modes');
    expect(res.status).toBe(202);
    expect((await settled(t, res.body.id, res.body.updated)).state).toBe('done');

    const f = dataFiles(t.dataDir);
    for (const file of [f.database, `${f.database}-wal`, `${f.database}-shm`, f.adminToken, f.adminPassword]) {
      expect(existsSync(file), file).toBe(true);
      expect(mode(file), file).toBe(0o600);
    }
    expect(mode(f.caKey)).toBe(0o600);
    expect(mode(f.serverKey)).toBe(0o600);
    expect(mode(f.lockFile)).toBe(0o600);
    expect(mode(join(t.dataDir, 'tls'))).toBe(0o700);
    // Certificates are public; the CA certificate is what clients pin.
    expect(mode(f.caCert)).toBe(0o644);
    // Machine agent tokens: never readable by other users (how a machine's own user may read its
    // token is the local provider's business).
    const machines = readdirSync(f.machines);
    expect(machines.length).toBeGreaterThan(0);
    for (const m of machines) expect(mode(join(f.machines, m, 'agent-token')) & 0o007, m).toBe(0);
  }, 90_000);

  it('brings loose modes left by an older release back to 0600 at the next start', async () => {
    const f = dataFiles(t.dataDir);
    for (const file of [f.database, f.adminToken, f.caKey, f.serverKey]) chmodSync(file, 0o644);
    chmodSync(join(t.dataDir, 'tls'), 0o755);
    await t.restart();
    for (const file of serverSecretFiles(t.dataDir).filter(existsSync)) expect(mode(file), file).toBe(0o600);
    expect(mode(join(t.dataDir, 'tls'))).toBe(0o700);
  }, 60_000);
});
