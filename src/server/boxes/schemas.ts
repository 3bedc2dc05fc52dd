import { Type, type Static, type TSchema } from '@sinclair/typebox';
import { ALIAS_EVENTS, AUTOMATIC_UPDATES, CANONICAL_EVENTS, RENAMED_EVENTS } from '../../shared/box-format.js';
import { Member } from '../workspaces/schemas.js';
import {
  BoxVariableSchema,
  MAX_VALUE_BYTES,
  MAX_VARIABLES,
  OneOf,
  type BoxVariableDoc,
} from '../../shared/box-variables.js';
import { BoxCheckSpec, MAX_BOX_CHECKS } from '../../shared/monitoring/checks.js';

/** A string or null, reported by ajv as "must be string,null". */
const NullableString = (maxLength: number) => Type.Unsafe<string | null>({ type: ['string', 'null'], maxLength });

export const CLOUDFORMATION_TYPES = [
  'CloudFormation Service',
  'MySQL Database Service',
  'Microsoft SQL Database Service',
  'Oracle Database Service',
  'PostgreSQL Database Service',
  'Memcached Service',
  'S3 Bucket',
  'Dynamo DB Domain',
] as const;

const AutomaticUpdates = OneOf(AUTOMATIC_UPDATES);
const Strings = (max: number) => Type.Array(Type.String({ minLength: 1, maxLength: 128 }), { maxItems: max });

export { MAX_VALUE_BYTES, MAX_VARIABLES };
export const Variable = BoxVariableSchema;
export type VariableInput = BoxVariableDoc;

/** A file reference: an event script, readme, dockerfile or template stored as a blob. */
export const FileRef = Type.Object(
  {
    url: Type.String({ minLength: 1, maxLength: 2048 }),
    upload_date: Type.Optional(NullableString(64)),
    length: Type.Optional(Type.Integer({ minimum: 0 })),
    destination_path: Type.Optional(NullableString(1024)),
    content_type: Type.Optional(NullableString(255)),
  },
  { additionalProperties: false },
);
export type FileRefInput = Static<typeof FileRef>;

export const EVENT_NAMES: readonly string[] = [...CANONICAL_EVENTS, ...ALIAS_EVENTS, ...Object.keys(RENAMED_EVENTS)];
/**
 * Events by name. An unknown name is data, not an extra field: it is kept here and refused with
 * a clear message by `normaliseEvents` rather than stripped (a script must never vanish silently).
 */
export const Events = Type.Object(Object.fromEntries(EVENT_NAMES.map((n) => [n, Type.Optional(FileRef)])), {
  additionalProperties: true,
});

const ServiceSpec = Type.Object(
  {
    name: Type.String({ minLength: 1, maxLength: 100 }),
    box: Type.Object(
      {
        id: Type.String({ minLength: 1, maxLength: 128 }),
        latest: Type.Optional(Type.Boolean()),
        variables: Type.Optional(Type.Array(Type.Object({}, { additionalProperties: true }), { maxItems: 500 })),
      },
      { additionalProperties: true },
    ),
    policy: Type.Optional(Type.Object({}, { additionalProperties: true })),
    automatic_updates: Type.Optional(AutomaticUpdates),
    tags: Type.Optional(Strings(100)),
  },
  { additionalProperties: false },
);

/** Fields PUT applies to a draft, and the type-specific ones per box type. */
const editable = {
  name: Type.String({ minLength: 1, maxLength: 100, pattern: '\\S' }),
  description: NullableString(4096),
  icon: NullableString(2048),
  files: Type.Array(FileRef, { maxItems: 100 }),
  variables: Type.Array(Variable, { maxItems: MAX_VARIABLES }),
  ports: Type.Array(Type.Union([Type.String({ maxLength: 64 }), Type.Integer()]), { maxItems: 100 }),
  requirements: Strings(100),
  events: Events,
  members: Type.Array(Member, { maxItems: 500 }),
  /** Monitoring checks the box's instances run (issue 14); definitions without a target. */
  checks: Type.Array(BoxCheckSpec, { maxItems: MAX_BOX_CHECKS }),
  // policy
  profile: Type.Object(
    {
      schema: Type.Optional(Type.String({ maxLength: 256 })),
      instances: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000 })),
    },
    { additionalProperties: true },
  ),
  provider_id: NullableString(128),
  claims: Strings(100),
  lifespan: Type.Union([
    Type.Null(),
    Type.Integer(),
    Type.String({ maxLength: 64 }),
    Type.Object({}, { additionalProperties: true }),
  ]),
  // docker
  dockerfile: FileRef,
  // application
  services: Type.Array(ServiceSpec, { maxItems: 100 }),
  // cloudformation
  type: OneOf(CLOUDFORMATION_TYPES),
  template: FileRef,
} satisfies Record<string, TSchema>;

const optionalEditable = Type.Partial(Type.Object(editable)).properties;

/** Server-owned fields a client may send back (box.yaml carries `id`); they are ignored. */
const ignored = {
  id: Type.Optional(Type.String({ maxLength: 128 })),
  uri: Type.Optional(Type.String({ maxLength: 256 })),
  created: Type.Optional(Type.String({ maxLength: 64 })),
  updated: Type.Optional(Type.String({ maxLength: 64 })),
  deleted: Type.Optional(NullableString(64)),
};

export const CreateBox = Type.Object(
  {
    ...optionalEditable,
    ...ignored,
    name: editable.name,
    schema: Type.Optional(Type.String({ minLength: 1, maxLength: 256 })),
    owner: Type.Optional(Type.String({ minLength: 1, maxLength: 64 })),
    automatic_updates: Type.Optional(AutomaticUpdates),
    readme: Type.Optional(FileRef),
    visibility: Type.Optional(OneOf(['workspace', 'organization', 'public'] as const)),
  },
  { additionalProperties: false },
);
export type CreateBoxInput = Static<typeof CreateBox>;

export const VersionSpec = Type.Object(
  {
    box: Type.String({ minLength: 1, maxLength: 128 }),
    description: Type.Optional(NullableString(4096)),
    number: Type.Object(
      {
        major: Type.Integer({ minimum: 0, maximum: 999999 }),
        minor: Type.Integer({ minimum: 0, maximum: 999999 }),
        patch: Type.Integer({ minimum: 0, maximum: 999999 }),
      },
      { additionalProperties: false },
    ),
    workspace: Type.Optional(Type.String({ maxLength: 64 })),
  },
  { additionalProperties: false },
);

/** PUT sends the whole document back; only the editable fields (and `version`) are read. */
export const UpdateBox = Type.Object(
  { ...optionalEditable, version: Type.Optional(VersionSpec) },
  { additionalProperties: true },
);
export type UpdateBoxInput = Static<typeof UpdateBox>;

/** The fields of a box body that PUT applies, whatever the box type. */
export const COMMON_EDITABLE = [
  'name',
  'description',
  'icon',
  'files',
  'variables',
  'ports',
  'requirements',
  'events',
  'members',
  'checks',
] as const;
export type EditableField = keyof typeof editable;

export const BoxParams = Type.Object({ id: Type.String({ minLength: 1, maxLength: 128 }) });

export const Binding = Type.Object(
  {
    id: Type.String(),
    uri: Type.String(),
    name: Type.String(),
    icon: Type.Optional(Type.Union([Type.String(), Type.Null()])),
  },
  { additionalProperties: false },
);
