import { randomBytes } from 'node:crypto';
import { dataFiles } from '../shared/paths.js';
import { newUuid } from '../shared/ids.js';
import { timestamp } from '../shared/time.js';
import { schemaUrl } from './store/docs.js';
import { sql } from 'kysely';
import type { Db } from './store/db.js';
import { isPostgres } from './store/dialect.js';
import { insertBox, type BoxDoc } from './boxes/store.js';
import { insertProvider, type ProviderDoc } from './providers/store.js';
import { createUser, issueToken } from './workspaces/user-store.js';
import { newToken } from './auth/security.js';
import { writeSecretFile } from './secret-files.js';

export const ADMIN_USER = 'admin';
export const ADMIN_EMAIL = 'admin@ebcli.local';
export const LOCAL_PROVIDER_TYPE = 'Test Provider';

/** The `local` provider: machines are sandbox folders on this host, each with its own agent. */
export function localProviderDoc(owner: string, id = newUuid(), now = timestamp()): ProviderDoc {
  return {
    id,
    uri: `/services/providers/${id}`,
    schema: schemaUrl('test/provider'),
    type: LOCAL_PROVIDER_TYPE,
    name: 'local',
    description: 'Machines on this host: a sandbox folder and an agent process each',
    owner,
    organization: 'public',
    state: 'ready',
    services: [
      {
        name: 'Linux Compute',
        schema: schemaUrl('test/compute/service'),
        locations: [{ name: 'local', images: ['local'], keypairs: [], clouds: [] }],
        flavors: ['local'],
        roles: [],
      },
    ],
    members: [],
    admin_boxes: [],
    created: now,
    updated: now,
    deleted: null,
  };
}

function defaultPolicyDoc(owner: string, providerId: string, now: string): BoxDoc {
  const id = newUuid();
  return {
    id,
    uri: `/services/boxes/${id}`,
    schema: schemaUrl('boxes/policy'),
    name: 'Local Linux',
    description: 'Deploys on this host through the local provider',
    owner,
    organization: 'public',
    members: [],
    visibility: 'workspace',
    automatic_updates: 'off',
    provider_id: providerId,
    claims: ['linux', 'local'],
    profile: {
      schema: schemaUrl('test/compute/profile'),
      image: 'local',
      instances: 1,
      location: 'local',
      flavor: 'local',
    },
    variables: [],
    created: now,
    updated: now,
    deleted: null,
  };
}

/** PostgreSQL advisory lock key held while a server checks for and creates the first admin. */
const BOOTSTRAP_LOCK = 0x65626331;

/**
 * First start: the admin user and its token (written to `admin-token`, mode 0600), its
 * personal workspace, the `local` provider and a default policy box claiming `linux`.
 * Does nothing when any user exists.
 */
export async function bootstrap(db: Db, dataDir: string): Promise<boolean> {
  return db.transaction().execute(async (trx) => {
    // Replicas starting together on one PostgreSQL database: one bootstraps, the others wait
    // here and then find its admin (SQLite has one server per store).
    if (isPostgres(trx)) await sql`select pg_advisory_xact_lock(${BOOTSTRAP_LOCK})`.execute(trx);
    const existing = await trx.selectFrom('users').select('id').limit(1).executeTakeFirst();
    if (existing) return false;
    const password = randomBytes(18).toString('base64url');
    const tokenValue = newToken();
    // The files are written before the commit: a crash in between leaves no user, so the next
    // start bootstraps again and overwrites them, and a committed admin always has its token on disk.
    const files = dataFiles(dataDir);
    writeSecretFile(files.adminToken, `${tokenValue}\n`);
    writeSecretFile(files.adminPassword, `${password}\n`);
    const now = timestamp();
    const provider = localProviderDoc(ADMIN_USER, newUuid(), now);
    await createUser(trx, { username: ADMIN_USER, email: ADMIN_EMAIL, password, isAdmin: true });
    await issueToken(trx, ADMIN_USER, 'ebcli admin token (created on first start)', tokenValue);
    await insertProvider(trx, provider);
    await insertBox(trx, defaultPolicyDoc(ADMIN_USER, provider.id, now));
    return true;
  });
}
