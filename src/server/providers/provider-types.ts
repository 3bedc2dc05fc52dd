import { LOCAL_PROVIDER_TYPE } from '../bootstrap.js';
import { schemaName } from '../store/docs.js';
import { badRequest } from '../http/errors.js';
import { normalizeSshFields } from '../machines/ssh/provider-fields.js';

/** What a provider type needs besides the common fields (cam-api.md §2.5). */
export interface ProviderType {
  /** Schema name under `http://elasticbox.net/schemas/`. */
  schema: string;
  /** Type fields served back in the provider document. */
  public: readonly string[];
  /** Type fields kept apart in `secrets` and never served. */
  secret: readonly string[];
  /** Fields a new provider of this type must carry (AWS is checked on its own). */
  required: readonly string[];
}

const aws: ProviderType = {
  schema: 'aws/provider',
  public: [],
  secret: ['credentials', 'key', 'secret'],
  required: [],
};
const openstack: ProviderType = {
  schema: 'openstack/provider',
  public: ['identity_url', 'project', 'username'],
  secret: ['password'],
  required: ['identity_url', 'project', 'username', 'password'],
};

const CLOUD_TYPES: Readonly<Record<string, ProviderType>> = {
  'Amazon Web Services': aws,
  'Amazon Web Services GovCloud': aws,
  Openstack: openstack,
  Rackspace: openstack,
  'VMware vSphere': {
    schema: 'vsphere/provider',
    public: ['username', 'endpoint'],
    secret: ['secret'],
    required: ['username', 'secret', 'endpoint'],
  },
  'VMware vCloud Director': {
    schema: 'vcloud/provider',
    public: ['url', 'vorg', 'username'],
    secret: ['password'],
    required: ['url', 'vorg', 'username', 'password'],
  },
  'Google Compute': {
    schema: 'gce/provider',
    public: ['project_id', 'email'],
    secret: ['credentials'],
    required: ['project_id', 'email', 'credentials'],
  },
  'Microsoft Azure': {
    schema: 'azure/provider',
    public: ['subscription_id'],
    secret: ['credentials'],
    required: ['subscription_id'],
  },
  Cloudstack: {
    schema: 'cloudstack/provider',
    public: ['url'],
    secret: ['api_key', 'secret_key'],
    required: ['url', 'api_key', 'secret_key'],
  },
  SoftLayer: {
    schema: 'softlayer/provider',
    public: ['username'],
    secret: ['api_key'],
    required: ['username', 'api_key'],
  },
};

/** Every type-specific field name any provider type knows. */
export const TYPE_FIELDS: readonly string[] = [
  ...new Set(Object.values(CLOUD_TYPES).flatMap((t) => [...t.public, ...t.secret])),
];
const SECRET_FIELDS: readonly string[] = [...new Set(Object.values(CLOUD_TYPES).flatMap((t) => t.secret))];

/** A pool of registered machines (`ebcli machines register`): deploys take a free one. */
export const EXISTING_MACHINES_TYPE = 'Existing Machines';

/** Hosts reached over ssh: provisioning installs the agent there, terminate removes it. */
export const SSH_PROVIDER_TYPE = 'SSH';

export const PROVIDER_TYPES: Readonly<Record<string, ProviderType>> = {
  ...CLOUD_TYPES,
  [SSH_PROVIDER_TYPE]: {
    schema: 'ssh/provider',
    public: ['hosts', 'username', 'sudo', 'fingerprints', 'trust_on_first_use'],
    secret: ['private_key', 'passphrase'],
    required: ['hosts', 'username', 'private_key'],
  },
  [EXISTING_MACHINES_TYPE]: { schema: 'existing/provider', public: [], secret: [], required: [] },
  /**
   * The `Test Provider` stands in for any cloud, so CAM clients send it whatever their tests hold
   * (a `secret`, a `username` and `password`…). It takes every type field; one that is a secret
   * for any type is a secret here too, kept apart and never served.
   */
  [LOCAL_PROVIDER_TYPE]: {
    schema: 'test/provider',
    public: TYPE_FIELDS.filter((f) => !SECRET_FIELDS.includes(f)),
    secret: SECRET_FIELDS,
    required: [],
  },
};

const present = (v: unknown) => v !== undefined && v !== null && v !== '';

/** Looks up a type and checks that `schema` names it; 400 otherwise. */
export function providerType(type: string, schema: string): ProviderType {
  const spec = PROVIDER_TYPES[type];
  if (!spec)
    throw badRequest(`Unknown provider type '${type}'. Known types: ${Object.keys(PROVIDER_TYPES).join(', ')}`);
  if (schemaName(schema) !== spec.schema) {
    throw badRequest(`schema ${schema} does not match provider type '${type}' (expected .../${spec.schema})`);
  }
  return spec;
}

/**
 * Checks the type fields of a new provider and splits them into the served part and the
 * secrets. Fields of another type and missing required fields are 400s.
 */
export function splitTypeFields(
  type: string,
  spec: ProviderType,
  body: Record<string, unknown>,
): { fields: Record<string, unknown>; secrets: Record<string, unknown> } {
  const own = new Set([...spec.public, ...spec.secret]);
  for (const f of TYPE_FIELDS) {
    if (body[f] !== undefined && !own.has(f)) throw badRequest(`Field '${f}' does not apply to ${type} providers`);
  }
  const missing = spec.required.filter((f) => !present(body[f]));
  if (missing.length) throw badRequest(`${type} providers need ${missing.join(', ')}`);
  if (spec === aws) checkAwsCredentials(body);
  return pickTypeFields(spec, body);
}

/** Type fields that have a shape of their own, checked and normalized (SSH). */
function normalized(spec: ProviderType, body: Record<string, unknown>): Record<string, unknown> {
  return spec === PROVIDER_TYPES[SSH_PROVIDER_TYPE] ? normalizeSshFields(body) : body;
}

/** The type fields present in `body`, split into served fields and secrets (no checks). */
export function pickTypeFields(
  spec: ProviderType,
  body: Record<string, unknown>,
): { fields: Record<string, unknown>; secrets: Record<string, unknown> } {
  body = normalized(spec, body);
  const fields: Record<string, unknown> = {};
  const secrets: Record<string, unknown> = {};
  for (const f of spec.public) if (body[f] !== undefined) fields[f] = body[f];
  for (const f of spec.secret) if (body[f] !== undefined) secrets[f] = body[f];
  return { fields, secrets };
}

function checkAwsCredentials(body: Record<string, unknown>): void {
  const creds = body.credentials;
  if (creds !== undefined) {
    if (typeof creds !== 'object' || creds === null) throw badRequest('credentials must be {role} or {key, secret}');
    const c = creds as Record<string, unknown>;
    if (present(c.role) || (present(c.key) && present(c.secret))) return;
    throw badRequest('credentials must be {role} or {key, secret}');
  }
  if (present(body.key) && present(body.secret)) return;
  throw badRequest('Amazon Web Services providers need credentials {role} or {key, secret}');
}
