/**
 * Issue 10, critical part: a non-admin user's scripts cannot take over the control plane. A real
 * server, real agents in their sandboxes, real scripts: a second (non-admin) user first cannot
 * deploy on the admin's local provider at all; once the admin shares it, that user's install
 * script tries to read and change the data directory's secrets and to find the server's
 * processes, and writes what it got to its own output, which the test checks for every secret.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MACHINE_MARKER } from '../../src/server/providers/local.js';
import { machineProcesses } from '../../src/server/providers/process-group.js';
import { newUuid } from '../../src/shared/ids.js';
import { dataFiles } from '../../src/shared/paths.js';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { addUser } from '../helpers/users.js';
import { DEPLOY_SCHEMA, fastTunables, killAgents, settled } from './helpers.js';

const SCHEMAS = 'http://elasticbox.net/schemas/';
/** Set in the server's environment: no script may see it. */
const CANARY = `canary-${newUuid()}`;

const ATTACK = `#!/bin/bash
DATA="\${ELASTICBOX_INSTANCE_PATH%/machines/*}"
ME="\${ELASTICBOX_INSTANCE_PATH%/work}"
try_read() {
  if out="$(cat "$1" 2>/dev/null)" && [ -n "$out" ]; then echo "LEAK $2: $out"; else echo "DENIED $2"; fi
}
try_read "$ME/agent-token" own-token
try_read "$DATA/admin-token" admin-token
try_read "$DATA/admin-password" admin-password
try_read "$DATA/tls/ca-key.pem" ca-key
try_read "$DATA/tls/server-key.pem" server-key
try_read "$DATA/machines/$VICTIM/agent-token" victim-token
ls -A "$DATA/machines" 2>&1 | sed 's/^/MACHINES /'
python3 - "$DATA/ebcli.db" <<'PY'
import sqlite3, sys
try:
    db = sqlite3.connect('file:' + sys.argv[1] + '?mode=ro', uri=True)
    print('LEAK ebcli.db:', db.execute("select name from sqlite_master where type = 'table'").fetchall())
except Exception as e:
    print('DENIED ebcli.db', type(e).__name__)
PY
TOKEN="$(cat "$DATA/admin-token" 2>/dev/null)"
python3 - "$SERVER_URL" "$TOKEN" <<'PY'
import ssl, sys, urllib.request
req = urllib.request.Request(sys.argv[1] + '/services/profile', headers={'ElasticBox-Token': sys.argv[2]})
try:
    print('PROFILE', urllib.request.urlopen(req, context=ssl._create_unverified_context(), timeout=5).read().decode())
except Exception as e:
    print('PROFILE refused:', e)
PY
umount "$DATA" 2>/dev/null && echo "UNMOUNTED" || echo "DENIED umount"
echo pwned > "$DATA/pwned" 2>/dev/null
echo pwned >> "$DATA/admin-token" 2>/dev/null
rm -f "$DATA/ebcli.db" "$DATA/machines/$VICTIM/agent-token" 2>/dev/null
for f in /proc/[0-9]*/environ; do grep -qs ISOLATION_CANARY= "$f" && echo "SEEN $f"; done
env | sed 's/^/ENV /'
echo ATTACK DONE
`;

let t: TestServer;
let mallory: string;
let localProvider: string;
let adminPolicy: string;
let victim: { id: string; machine: string };
const secrets: Record<string, string> = {};

async function scriptBox(token: string, name: string, install: string, variables: unknown[] = []) {
  const up = await t.call('POST', '/services/blobs/upload/install', {
    raw: install,
    token,
    headers: { 'content-type': 'text/x-shellscript' },
  });
  expect(up.status).toBe(200);
  const res = await t.call('POST', '/services/boxes', {
    token,
    body: {
      schema: `${SCHEMAS}boxes/script`,
      name,
      requirements: ['linux'],
      variables,
      events: { install: { url: up.body.url, destination_path: 'scripts', content_type: 'text/x-shellscript' } },
    },
  });
  expect(res.status).toBe(200);
  return res.body.id as string;
}

const deployAs = (token: string, box: string, extra: Record<string, unknown> = {}) =>
  t.call('POST', '/services/instances', {
    token,
    body: {
      schema: DEPLOY_SCHEMA,
      name: `i-${newUuid().slice(0, 8)}`,
      box: { id: box },
      automatic_updates: 'off',
      ...extra,
    },
  });

async function deployed(token: string, box: string, extra: Record<string, unknown> = {}) {
  const res = await deployAs(token, box, extra);
  expect(res.status).toBe(202);
  const doc = await settled({ call: (m, p, o) => t.call(m, p, { ...o, token }) }, res.body.id, res.body.updated);
  expect(doc.state).toBe('done');
  return { id: doc.id as string, machine: doc.service.machines[0].name as string };
}

beforeAll(async () => {
  fastTunables();
  process.env.ISOLATION_CANARY = CANARY;
  // The data directory's secrets, the SQLite database among them, are what scripts must not reach:
  // the embedded store on every run (test/setup/postgres-pass.ts leaves this file out of the
  // PostgreSQL pass).
  t = await startTestServer(undefined, { embedded: true });
  mallory = await addUser(t, 'mallory');
  const boxes = (await t.call('GET', '/services/workspaces/admin/boxes')).body;
  const policy = boxes.find((b: { schema: string }) => b.schema === `${SCHEMAS}boxes/policy`);
  adminPolicy = policy.id;
  localProvider = policy.provider_id;
  const files = dataFiles(t.dataDir);
  for (const [name, file] of Object.entries({
    admin: files.adminToken,
    password: files.adminPassword,
    caKey: files.caKey,
    serverKey: files.serverKey,
  }))
    // A PEM's first line is the same in every key: its first line of base64 stands for it.
    secrets[name] = readFileSync(file, 'utf8').trim().split('\n')[name.endsWith('Key') ? 1 : 0]!;
  victim = await deployed(t.token, await scriptBox(t.token, 'Victim', '#!/bin/bash\necho victim up\n'));
  secrets.victimToken = readFileSync(join(files.machines, victim.machine, 'agent-token'), 'utf8').trim();
}, 120_000);

afterAll(async () => {
  delete process.env.ISOLATION_CANARY;
  const dataDir = t.dataDir;
  await t.server.close();
  await killAgents(dataDir);
  await t.stop().catch(() => undefined);
});

describe("a non-admin user's scripts and the control plane", () => {
  let attackBox: string;
  let ownPolicy: string;

  it(
    "refuses the non-admin's deploys on the admin's local provider until the admin shares it",
    { timeout: 90_000 },
    async () => {
      const profile = await t.call('GET', '/services/profile', { token: mallory });
      expect(profile.body.is_admin).toBe(false);
      attackBox = await scriptBox(mallory, 'Attack', ATTACK, [
        { name: 'SERVER_URL', type: 'Text', value: t.url },
        { name: 'VICTIM', type: 'Text', value: victim.machine },
      ]);
      const implicit = await deployAs(mallory, attackBox);
      expect(implicit.status).toBe(400);
      expect(implicit.body.message).toMatch(/No deployment policy available to you/);
      const theirs = await deployAs(mallory, attackBox, { policy_box: { id: adminPolicy } });
      expect(theirs.status).toBe(403);

      const own = await t.call('POST', '/services/boxes', {
        token: mallory,
        body: {
          schema: `${SCHEMAS}boxes/policy`,
          name: 'Mallory on the admin host',
          provider_id: localProvider,
          claims: ['linux'],
          profile: { schema: `${SCHEMAS}test/compute/profile`, instances: 1 },
        },
      });
      expect(own.status).toBe(200);
      ownPolicy = own.body.id;
      const unshared = await deployAs(mallory, attackBox, { policy_box: { id: ownPolicy } });
      expect(unshared.status).toBe(403);
      expect(unshared.body.message).toMatch(/not shared with workspace mallory/);

      const created = await t.call('POST', '/services/providers', {
        token: mallory,
        body: { schema: `${SCHEMAS}test/provider`, type: 'Test Provider', name: 'mine' },
      });
      expect(created.status).toBe(403);
    },
  );

  it('keeps every secret of the data directory and the server environment from its scripts', async () => {
    const share = await t.call('PUT', `/services/providers/${localProvider}`, {
      body: { members: [{ role: 'read', workspace: 'mallory' }] },
    });
    expect(share.status).toBe(200);
    const attack = await deployed(mallory, attackBox, { policy_box: { id: ownPolicy } });
    const logs = await t.call('GET', `/services/instances/${attack.id}/machine_logs?machine_name=${attack.machine}`, {
      token: mallory,
    });
    expect(logs.status).toBe(200);
    const out: string = logs.text;
    expect(out).toContain('ATTACK DONE');

    // The probe works: the script reads its own machine's token.
    const ownToken = readFileSync(join(dataFiles(t.dataDir).machines, attack.machine, 'agent-token'), 'utf8').trim();
    expect(out).toMatch(/LEAK own-token: \S+/);
    for (const what of ['admin-token', 'admin-password', 'ca-key', 'server-key', 'victim-token', 'ebcli.db']) {
      expect(out).toContain(`DENIED ${what}`);
      expect(out).not.toContain(`LEAK ${what}`);
    }
    for (const [name, value] of Object.entries(secrets)) {
      expect(value.length, name).toBeGreaterThan(10);
      expect(out.includes(value), `${name} leaked`).toBe(false);
    }
    // The data directory looks empty from inside: only the script's own machine is there.
    const listed = out.split('\n').filter((l) => l.includes('MACHINES '));
    expect(listed.map((l) => l.slice(l.indexOf('MACHINES ') + 9).trim())).toEqual([attack.machine]);
    expect(out).toMatch(/PROFILE refused:.*401/);
    expect(out).not.toMatch(/is_admin"?\s*:\s*true/);
    expect(out).toContain('DENIED umount');
    expect(out).not.toContain('SEEN /proc');

    // Nothing it wrote reached the real data directory.
    const files = dataFiles(t.dataDir);
    expect(existsSync(join(t.dataDir, 'pwned'))).toBe(false);
    expect(readFileSync(files.adminToken, 'utf8').trim()).toBe(secrets.admin);
    expect(existsSync(files.database)).toBe(true);
    expect(readFileSync(join(files.machines, victim.machine, 'agent-token'), 'utf8').trim()).toBe(secrets.victimToken);
    expect(ownToken.length).toBeGreaterThan(10);

    // Environment built from scratch: no server variable, HOME in the machine's own folder.
    const env = out
      .split('\n')
      .filter((l) => l.includes('ENV '))
      .map((l) => l.slice(l.indexOf('ENV ') + 4));
    expect(env.some((l) => l.startsWith('PATH='))).toBe(true);
    expect(env.join('\n')).not.toContain(CANARY);
    expect(env.filter((l) => /^(EBCLI_|ISOLATION_CANARY|NODE_OPTIONS|npm_|VITEST)/.test(l))).toEqual([]);
    const home = env.find((l) => l.startsWith('HOME='));
    expect(home).toBe(`HOME=${join(files.machines, attack.machine, 'home')}`);

    // Terminate still removes the machine and every process of it.
    const del = await t.call('DELETE', `/services/instances/${attack.id}`, { token: mallory });
    expect(del.status).toBe(202);
    const root = join(files.machines, attack.machine);
    const deadline = Date.now() + 30_000;
    while (existsSync(root) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    expect(existsSync(root)).toBe(false);
    expect(machineProcesses(MACHINE_MARKER, root)).toEqual([]);
  }, 120_000);
});
