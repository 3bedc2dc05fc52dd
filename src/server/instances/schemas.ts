import { Type, type Static } from '@sinclair/typebox';
import { AUTOMATIC_UPDATES } from '../../shared/box-format.js';
import { INSTANCE_ID, MAX_INSTANCE_NAME } from '../../shared/ids.js';
import { Member } from '../workspaces/schemas.js';

export const AutomaticUpdates = Type.Union(AUTOMATIC_UPDATES.map((v) => Type.Literal(v)));

/**
 * A variable override `{name, type?, value, scope?}` (cam-api.md §2.4). Clients copy whole box
 * variables, so extra fields such as `visibility` or `required` are accepted and dropped.
 */
export const VariableOverride = Type.Object(
  {
    name: Type.String({ minLength: 1, maxLength: 255 }),
    type: Type.Optional(Type.String({ minLength: 1, maxLength: 32 })),
    value: Type.Optional(Type.Union([Type.String({ maxLength: 65536 }), Type.Number(), Type.Null()])),
    scope: Type.Optional(Type.Union([Type.String({ maxLength: 1024 }), Type.Null()])),
    tags: Type.Optional(Type.Array(Type.String({ minLength: 1, maxLength: 100 }), { maxItems: 100 })),
  },
  { additionalProperties: true },
);
export type VariableOverrideBody = Static<typeof VariableOverride>;

const Variables = Type.Array(VariableOverride, { maxItems: 1000 });

export const Lease = Type.Object(
  {
    expire: Type.String({ minLength: 1, maxLength: 64 }),
    operation: Type.Union([Type.Literal('shutdown'), Type.Literal('terminate')]),
  },
  { additionalProperties: true },
);
export type LeaseBody = Static<typeof Lease>;

const BoxRef = Type.Object(
  {
    id: Type.String({ minLength: 1, maxLength: 128 }),
    variables: Type.Optional(Type.Union([Variables, Type.Null()])),
  },
  { additionalProperties: true },
);

export const InstanceTags = Type.Array(Type.String({ minLength: 1, maxLength: 100 }), { maxItems: 100 });

const IPV4 = '^((25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])\\.){3}(25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])$';

/**
 * The 4.0 deploy-instance-request. Its schema forbids fields it does not name; the server drops
 * them instead of refusing the request (cam-api.md §9 #21, see validation.ts).
 */
export const DeployRequest = Type.Object(
  {
    schema: Type.String({ minLength: 1, maxLength: 256 }),
    name: Type.String({ minLength: 1, maxLength: MAX_INSTANCE_NAME, pattern: '\\S' }),
    box: BoxRef,
    /** Historical clients leave it out; it defaults to `off`. */
    automatic_updates: Type.Optional(AutomaticUpdates),
    owner: Type.Optional(Type.String({ minLength: 1, maxLength: 64 })),
    policy_box: Type.Optional(Type.Union([BoxRef, Type.Null()])),
    instance_tags: Type.Optional(Type.Union([InstanceTags, Type.Null()])),
    lease: Type.Optional(Type.Union([Lease, Type.Null()])),
    ipv4_address: Type.Optional(Type.Union([Type.String({ maxLength: 15, pattern: IPV4 }), Type.Null()])),
    /** `…/deploy/application` only: claims every service's policy must cover besides its own. */
    requirements: Type.Optional(
      Type.Union([Type.Array(Type.String({ minLength: 1, maxLength: 128 }), { maxItems: 100 }), Type.Null()]),
    ),
  },
  { additionalProperties: false },
);
export type DeployRequestBody = Static<typeof DeployRequest>;

/** PUT sends the full document back; only the editable fields are read, the rest is ignored. */
export const UpdateInstance = Type.Object(
  {
    id: Type.Optional(Type.String({ maxLength: 128 })),
    variables: Type.Optional(Variables),
    tags: Type.Optional(InstanceTags),
    members: Type.Optional(Type.Array(Member, { maxItems: 500 })),
    lease: Type.Optional(Type.Union([Lease, Type.Null()])),
    automatic_updates: Type.Optional(AutomaticUpdates),
  },
  { additionalProperties: true },
);
export type UpdateInstanceBody = Static<typeof UpdateInstance>;

export const InstanceParams = Type.Object({
  inst: Type.String({ minLength: 1, maxLength: 128, pattern: INSTANCE_ID.source }),
});

/**
 * CAM's register-instance-request (cam-api.md §2.4): an existing Linux machine reached over ssh
 * becomes a registered machine. ebcli names the host in `unregistered_id` (`host[:port]`; no
 * provider discovers unregistered machines here) and needs its host key: `host_fingerprint`
 * (`SHA256:…`) or `trust_on_first_use: true`. `instance_tags` become the machine's claims.
 */
export const RegisterInstanceRequest = Type.Object(
  {
    schema: Type.String({ minLength: 1, maxLength: 256 }),
    owner: Type.Optional(Type.String({ minLength: 1, maxLength: 64 })),
    name: Type.Optional(Type.String({ maxLength: MAX_INSTANCE_NAME })),
    description: Type.Optional(Type.Union([Type.String({ maxLength: 1024 }), Type.Null()])),
    unregistered_id: Type.String({ minLength: 1, maxLength: 300 }),
    linux_username: Type.Optional(Type.String({ minLength: 1, maxLength: 64 })),
    private_key: Type.Optional(Type.String({ minLength: 1, maxLength: 65536 })),
    passphrase: Type.Optional(Type.String({ maxLength: 4096 })),
    windows_username: Type.Optional(Type.String({ maxLength: 64 })),
    windows_password: Type.Optional(Type.String({ maxLength: 4096 })),
    host_fingerprint: Type.Optional(Type.String({ maxLength: 100 })),
    trust_on_first_use: Type.Optional(Type.Boolean()),
    sudo: Type.Optional(Type.Boolean()),
    instance_tags: Type.Optional(Type.Union([InstanceTags, Type.Null()])),
    automatic_updates: Type.Optional(AutomaticUpdates),
    lease: Type.Optional(Type.Union([Lease, Type.Null()])),
  },
  { additionalProperties: false },
);
export type RegisterInstanceBody = Static<typeof RegisterInstanceRequest>;

export const REGISTER_INSTANCE_REQUEST = 'register-instance-request';

/** The body of `POST /services/instances`: a register request by its schema, else a deploy request. */
export const InstancesPost = Type.Unsafe<DeployRequestBody | RegisterInstanceBody>({
  if: {
    type: 'object',
    properties: { schema: { type: 'string', pattern: `${REGISTER_INSTANCE_REQUEST}$` } },
    required: ['schema'],
  },
  then: RegisterInstanceRequest,
  else: DeployRequest,
});
