import { SCHEMA_BASE, schemaName, schemaUrl } from '../store/docs.js';
import { badRequest } from '../http/errors.js';
import {
  COMMON_EDITABLE,
  EVENT_NAMES,
  type CreateBoxInput,
  type EditableField,
  type FileRefInput,
  type UpdateBoxInput,
} from './schemas.js';
import type { BoxDoc, BoxVariable } from './store.js';
import { BOX_TYPES, RENAMED_EVENTS, type BoxType } from '../../shared/box-format.js';
import { newUuid } from '../../shared/ids.js';

/** Fields only one box type has; PUT applies them on top of the common ones. */
export const KIND_FIELDS: Record<BoxType, readonly EditableField[]> = {
  script: [],
  policy: ['profile', 'provider_id', 'claims', 'lifespan'],
  docker: ['dockerfile'],
  application: ['services'],
  cloudformation: ['type', 'template'],
};

/** A box body's type from its `schema`; a missing schema means a script box, as `ebcli import` does. */
export function kindFromSchema(schema: string | undefined): BoxType {
  if (schema === undefined) return 'script';
  const name = schemaName(schema);
  const kind = BOX_TYPES.find((k) => name === `boxes/${k}`);
  if (!kind) throw badRequest(`Unknown box schema '${schema}': expected ${SCHEMA_BASE}boxes/{${BOX_TYPES.join(',')}}`);
  return kind;
}

/** Refuses, on create, a field that belongs to another box type. */
export function assertFieldsFitKind(body: Record<string, unknown>, kind: BoxType): void {
  for (const other of BOX_TYPES) {
    if (other === kind) continue;
    const field = KIND_FIELDS[other].find((f) => body[f] !== undefined);
    if (field) throw badRequest(`Field '${field}' belongs to ${other} boxes, not to a ${kind} box`);
  }
}

/** Maps `terminate`/`post_terminate` to their 4.0 names; the other accepted names are kept. */
export function normaliseEvents(events: Record<string, FileRefInput | undefined>): Record<string, FileRefInput> {
  const out: Record<string, FileRefInput> = {};
  for (const [name, ref] of Object.entries(events)) {
    if (!EVENT_NAMES.includes(name)) {
      throw badRequest(`events: unknown event '${name}'; events are ${EVENT_NAMES.join(', ')}`);
    }
    if (!ref) continue;
    const target = RENAMED_EVENTS[name] ?? name;
    if (out[target]) throw badRequest(`events: ${name} and ${target} are the same event; send only one`);
    out[target] = ref;
  }
  return out;
}

const withValues = (variables: BoxVariable[]): BoxVariable[] => variables.map((v) => ({ ...v, value: v.value ?? '' }));

/** The fields of a PUT body that apply to a box of this type, normalised as they are stored. */
export function editableFields(body: UpdateBoxInput, kind: BoxType): Partial<BoxDoc> {
  const out: Record<string, unknown> = {};
  for (const field of [...COMMON_EDITABLE, ...KIND_FIELDS[kind]]) {
    if (body[field] !== undefined) out[field] = body[field];
  }
  if (body.events !== undefined) out.events = normaliseEvents(body.events);
  if (body.variables !== undefined) out.variables = withValues(body.variables);
  return out as Partial<BoxDoc>;
}

/** A new draft from a POST body, with CAM's defaults (cam-api §3.2). */
export function newBoxDoc(body: CreateBoxInput, kind: BoxType, owner: string, now: string): BoxDoc {
  const id = newUuid();
  const doc: BoxDoc = {
    id,
    uri: `/services/boxes/${id}`,
    schema: schemaUrl(`boxes/${kind}`),
    name: body.name,
    description: body.description ?? '',
    ...(body.icon ? { icon: body.icon } : {}),
    owner,
    organization: 'public',
    members: body.members ?? [],
    visibility: body.visibility ?? 'workspace',
    automatic_updates: body.automatic_updates ?? 'off',
    variables: withValues(body.variables ?? []),
    created: now,
    updated: now,
    deleted: null,
  };
  if (kind === 'policy') {
    Object.assign(doc, {
      ...(body.provider_id ? { provider_id: body.provider_id } : {}),
      claims: body.claims ?? [],
      ...(body.lifespan !== undefined && body.lifespan !== null ? { lifespan: body.lifespan } : {}),
    });
    if (body.profile) doc.profile = body.profile;
  } else if (kind !== 'cloudformation') {
    Object.assign(doc, { requirements: body.requirements ?? [], events: normaliseEvents(body.events ?? {}) });
  }
  // Kept when given so the type rules (no events on policy or cloudformation boxes) see them.
  if (body.events !== undefined) doc.events = normaliseEvents(body.events);
  if (body.requirements !== undefined) doc.requirements = body.requirements;
  if (kind === 'docker' && body.dockerfile) doc.dockerfile = body.dockerfile;
  if (kind === 'application') doc.services = body.services ?? [];
  if (kind === 'cloudformation') {
    doc.type = body.type ?? 'CloudFormation Service';
    if (body.template) doc.template = body.template;
  }
  for (const field of ['readme', 'files', 'ports', 'checks'] as const)
    if (body[field] !== undefined) doc[field] = body[field];
  return doc;
}
