import { Type, type Static } from '@sinclair/typebox';
import { Member } from '../workspaces/schemas.js';

const Field = Type.String({ maxLength: 4096 });
/** AWS sends `{role}` or `{key, secret}`; GCE and Azure send a key file as text. */
const Credentials = Type.Union([Type.Object({}, { additionalProperties: true }), Type.String({ maxLength: 65536 })]);

/** Type-specific fields (cam-api.md §2.5); which ones a type takes is checked in provider-types.ts. */
const typeFields = {
  credentials: Type.Optional(Credentials),
  key: Type.Optional(Field),
  secret: Type.Optional(Field),
  identity_url: Type.Optional(Field),
  project: Type.Optional(Field),
  username: Type.Optional(Field),
  password: Type.Optional(Field),
  endpoint: Type.Optional(Field),
  url: Type.Optional(Field),
  vorg: Type.Optional(Field),
  project_id: Type.Optional(Field),
  email: Type.Optional(Field),
  subscription_id: Type.Optional(Field),
  api_key: Type.Optional(Field),
  secret_key: Type.Optional(Field),
  // SSH (src/server/machines/ssh/provider-fields.ts): lists and flags also as the strings --field gives.
  hosts: Type.Optional(Type.Union([Field, Type.Array(Type.String({ maxLength: 300 }), { maxItems: 256 })])),
  sudo: Type.Optional(Type.Union([Type.Boolean(), Type.String({ maxLength: 8 })])),
  trust_on_first_use: Type.Optional(Type.Union([Type.Boolean(), Type.String({ maxLength: 8 })])),
  fingerprints: Type.Optional(
    Type.Union([
      Type.String({ maxLength: 65536 }),
      Type.Array(Type.String({ maxLength: 400 }), { maxItems: 256 }),
      Type.Record(Type.String({ maxLength: 300 }), Type.String({ maxLength: 100 })),
    ]),
  ),
  private_key: Type.Optional(Type.String({ maxLength: 65536 })),
  passphrase: Type.Optional(Field),
};

const Name = Type.String({ minLength: 1, maxLength: 64, pattern: '\\S' });
const Description = Type.Union([Type.String({ maxLength: 1024 }), Type.Null()]);

export const CreateProvider = Type.Object(
  {
    schema: Type.String({ minLength: 1, maxLength: 256 }),
    type: Type.String({ minLength: 1, maxLength: 64 }),
    name: Name,
    description: Type.Optional(Description),
    icon: Type.Optional(Type.Union([Type.String({ maxLength: 2048 }), Type.Null()])),
    owner: Type.Optional(Type.String({ minLength: 1, maxLength: 64 })),
    members: Type.Optional(Type.Array(Member, { maxItems: 500 })),
    ...typeFields,
  },
  { additionalProperties: false },
);
export type CreateProviderBody = Static<typeof CreateProvider>;

/** PUT sends the full document back; only name, description, members and type fields apply. */
export const UpdateProvider = Type.Object(
  {
    name: Type.Optional(Name),
    description: Type.Optional(Description),
    members: Type.Optional(Type.Array(Member, { maxItems: 500 })),
    ...typeFields,
  },
  { additionalProperties: true },
);

export const ProviderParams = Type.Object({ prov: Type.String({ minLength: 1, maxLength: 128 }) });

export const ProviderLog = Type.Object(
  {
    id: Type.String(),
    provider_id: Type.String(),
    level: Type.Integer(),
    text: Type.String(),
    operation: Type.String(),
    workspace: Type.String(),
    request_id: Type.String(),
    created: Type.String(),
    updated: Type.String(),
    schema: Type.String(),
  },
  { additionalProperties: false },
);
