import { assertCanWrite } from '../auth/access.js';
import { boxTree, flattenTree } from '../boxes/stack.js';
import type { AuthUser } from '../context.js';
import { schemaName, schemaUrl } from '../store/docs.js';
import { badRequest, alreadyExists, forbidden } from '../http/errors.js';
import { choosePolicy, requirementsOf } from './policy-selection.js';
import { canReadBox } from '../auth/resource-access.js';
import type { DeployRequestBody, LeaseBody, UpdateInstanceBody } from './schemas.js';
import { getBox, type BoxDoc } from '../boxes/store.js';
import type { Db } from '../store/db.js';
import { findInstancesByName, getInstance, type InstanceDoc } from './store.js';
import { getWorkspace } from '../workspaces/store.js';
import { applyOverrides, checkOverrides, missingRequired, treeFromStack } from './variable-overrides.js';
import { newInstanceId, newServiceId } from '../../shared/ids.js';
import { parseTimestamp, timestamp } from '../../shared/time.js';

export const DEPLOY_REQUEST = 'deploy-instance-request';

/** Box types a deploy accepts, by schema name; the rest are refused with their kind named. */
const DEPLOYABLE = new Set(['boxes/script', 'boxes/docker']);
const KIND: Record<string, string> = {
  'boxes/policy': 'policy',
  'boxes/application': 'application',
  'boxes/cloudformation': 'CloudFormation',
  box: 'pre-4.0',
};

export interface InstanceLease {
  expire: string;
  operation: 'shutdown' | 'terminate';
  released: boolean;
}

/** What a deploy of an application box adds to each of its services' deploys. */
export interface DeployExtra {
  /** Claims the policy must cover besides the box's requirements. */
  claims?: string[];
  /** `{id, name}` of the application box (cam-api.md §3.4). */
  application?: { id: string; name: string };
}

/** What a valid deploy request resolves to: the document to store and the provider it uses. */
export interface DeployPlan {
  doc: InstanceDoc;
  providerId: string;
}

function checkSchema(schema: string): void {
  const name = schemaName(schema);
  if (name === DEPLOY_REQUEST) return;
  // A register-instance-request never gets here (routes/instances.ts answers it over ssh).
  const known = ['bulk-import-request'];
  if (name === 'deploy/application') throw badRequest(`schema ${schema}: deploy an application box with it`);
  if (name && known.includes(name)) throw badRequest(`schema ${schema}: this kind of request is not supported here`);
  throw badRequest(`schema must be ${schemaUrl(DEPLOY_REQUEST)}, not ${schema}`);
}

/** The box to deploy: it exists, the user may read it and its type can run on a machine. */
export async function deployableBox(db: Db, user: AuthUser, id: string): Promise<BoxDoc> {
  const box = await getBox(db, id);
  if (!box) throw badRequest(`box ${id} not found`);
  if (!(await canReadBox(db, user, box))) throw forbidden(`You have no access to box ${id}`);
  const name = schemaName(box.schema) ?? box.schema;
  if (name === 'boxes/application') {
    throw badRequest(
      `box ${box.name} (${id}) is an application box: deploy it with schema ${schemaUrl('deploy/application')}`,
    );
  }
  if (!DEPLOYABLE.has(name)) {
    const kind = KIND[name] ?? `'${name}'`;
    throw badRequest(`box ${box.name} (${id}) is a ${kind} box and cannot be deployed: deploy a script or docker box`);
  }
  return box;
}

const LEASE_TIME = /^(\d{4}-\d{2}-\d{2}) (\d{2}:\d{2}:\d{2})(?:\.(\d{1,6}))?$/;

/** Checks a lease (expire in the future, as a CAM timestamp) and normalises it. */
export function checkLease(lease: LeaseBody, field = 'lease'): InstanceLease {
  const m = LEASE_TIME.exec(lease.expire);
  const expire = m ? `${m[1]} ${m[2]}.${(m[3] ?? '').padEnd(6, '0')}` : undefined;
  const ms = expire ? parseTimestamp(expire) : undefined;
  if (!expire || ms === undefined || new Date(ms).toISOString().slice(0, 19) !== `${m?.[1]}T${m?.[2]}`) {
    throw badRequest(`${field}.expire must be a UTC time as YYYY-MM-DD HH:MM:SS.ffffff, not '${lease.expire}'`);
  }
  if (ms <= Date.now()) throw badRequest(`${field}.expire must be in the future, not ${expire}`);
  return { expire, operation: lease.operation, released: false };
}

/** 409 unless the name is free among the workspace's instances that are not deleted. */
export async function assertNameFree(db: Db, owner: string, name: string, exceptId?: string): Promise<void> {
  const clash = (await findInstancesByName(db, owner, name)).find((i) => !i.deleted && i.id !== exceptId);
  if (clash) throw alreadyExists(`An instance named '${name}' already exists in workspace ${owner} (${clash.id})`);
}

/** A fresh instance id; ids are random, so a taken one is simply drawn again. */
export async function unusedInstanceId(db: Db): Promise<string> {
  for (;;) {
    const id = newInstanceId();
    if (!(await getInstance(db, id))) return id;
  }
}

/** Tags once each, in the order given. */
export const uniqueTags = (tags: string[] | null | undefined): string[] => [...new Set(tags ?? [])];

/**
 * Validates a deploy-instance-request (cam-api.md §2.4) and builds the instance document it
 * would create (§3.4), with no side effects. Used by POST /services/instances, its dry run and
 * the workflow engine. Run it inside the transaction that stores the document.
 */
export async function planDeploy(
  db: Db,
  user: AuthUser,
  body: DeployRequestBody,
  extra: DeployExtra = {},
): Promise<DeployPlan> {
  checkSchema(body.schema);
  const owner = body.owner ?? user.id;
  await assertCanWrite(db, user, owner);
  const box = await deployableBox(db, user, body.box.id);
  const tree = await boxTree(db, box.id);
  const variables = await checkOverrides(db, user, tree, body.box.variables ?? [], 'box.variables');
  const missing = missingRequired(tree, variables);
  if (missing.length) throw badRequest(`Required variables have no value: ${missing.join(', ')}`);

  const requirements = [...new Set([...requirementsOf(box), ...(extra.claims ?? [])])];
  const { policy, provider } = await choosePolicy(db, user, owner, body.policy_box?.id, requirements);
  const policyTree = await boxTree(db, policy.id);
  const policyVars = await checkOverrides(
    db,
    user,
    policyTree,
    body.policy_box?.variables ?? [],
    'policy_box.variables',
  );
  const missingPolicy = missingRequired(policyTree, policyVars);
  if (missingPolicy.length) throw badRequest(`Required policy variables have no value: ${missingPolicy.join(', ')}`);
  const policyDoc = policyVars.length ? applyOverrides(policy, policyVars) : policy;
  const lease = body.lease ? checkLease(body.lease) : undefined;
  await assertNameFree(db, owner, body.name);

  const now = timestamp();
  const id = await unusedInstanceId(db);
  const doc: InstanceDoc = {
    id,
    uri: `/services/instances/${id}`,
    schema: schemaUrl('instance'),
    name: body.name,
    owner,
    ...(box.icon ? { icon: box.icon } : {}),
    state: 'processing',
    operation: { event: 'deploy', workspace: owner, created: now },
    box: box.id,
    boxes: flattenTree(tree),
    policy_box: policyDoc,
    service: { type: 'Linux Compute', id: newServiceId(), machines: [] },
    variables,
    tags: uniqueTags(body.instance_tags),
    bindings: [],
    members: [],
    automatic_updates: body.automatic_updates ?? 'off',
    automatic_reconfiguration: true,
    ...(lease ? { lease } : {}),
    ...(body.ipv4_address ? { ipv4_address: body.ipv4_address } : {}),
    ...(extra.application ? { application: extra.application } : {}),
    created: now,
    updated: now,
    deleted: null,
  };
  return { doc, providerId: provider.id };
}

/**
 * PUT /services/instances/{inst}: the client sends the whole document back; only variables, tags,
 * members, lease and automatic_updates are applied, each validated as at deploy time. A lease sent
 * back unchanged is kept as it is, even once expired.
 */
export async function applyInstanceUpdate(
  db: Db,
  user: AuthUser,
  current: InstanceDoc,
  body: UpdateInstanceBody,
): Promise<InstanceDoc> {
  if (body.id !== undefined && body.id !== current.id) {
    throw badRequest(`id ${body.id} in the body does not match instance ${current.id}`);
  }
  const doc: InstanceDoc = { ...current };
  if (body.variables !== undefined) {
    const tree = treeFromStack((current.boxes as BoxDoc[] | undefined) ?? []);
    if (!tree) throw badRequest(`instance ${current.id} has no boxes to take variables`);
    const variables = await checkOverrides(db, user, tree, body.variables, 'variables');
    const missing = missingRequired(tree, variables);
    if (missing.length) throw badRequest(`Required variables have no value: ${missing.join(', ')}`);
    doc.variables = variables;
  }
  if (body.tags !== undefined) doc.tags = uniqueTags(body.tags);
  if (body.members !== undefined) {
    for (const m of body.members) {
      if (!(await getWorkspace(db, m.workspace))) throw badRequest(`members: workspace ${m.workspace} does not exist`);
    }
    doc.members = body.members;
  }
  if (body.lease === null) delete doc.lease;
  else if (body.lease !== undefined) {
    const kept = current.lease as InstanceLease | undefined;
    const same = kept && kept.expire === body.lease.expire && kept.operation === body.lease.operation;
    if (!same) doc.lease = checkLease(body.lease);
  }
  if (body.automatic_updates !== undefined) doc.automatic_updates = body.automatic_updates;
  doc.updated = timestamp();
  return doc;
}
