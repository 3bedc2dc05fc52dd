import { Type } from '@sinclair/typebox';

export const OrganizationParams = Type.Object({ org: Type.String({ minLength: 1, maxLength: 64 }) });
export const UserParams = Type.Object({
  org: Type.String({ minLength: 1, maxLength: 64 }),
  user: Type.String({ minLength: 1, maxLength: 64 }),
});

/** Checked further by the handler (username shape, email shape), which names what is wrong. */
export const CreateUser = Type.Object(
  {
    username: Type.String({ minLength: 1, maxLength: 64 }),
    email: Type.String({ minLength: 1, maxLength: 254 }),
    password: Type.String({ minLength: 1, maxLength: 1024 }),
    is_admin: Type.Optional(Type.Boolean()),
  },
  { additionalProperties: false },
);

export const UserDocSchema = Type.Object(
  {
    id: Type.String(),
    uri: Type.String(),
    schema: Type.String(),
    username: Type.String(),
    email: Type.String(),
    is_admin: Type.Boolean(),
    organization: Type.String(),
    workspace: Type.String(),
    created: Type.String(),
    updated: Type.String(),
  },
  { additionalProperties: false },
);

export const MemberParams = Type.Object({
  ws: Type.String({ minLength: 1, maxLength: 64 }),
  member: Type.String({ minLength: 1, maxLength: 64 }),
});

/** `role` is checked by the handler, so an unknown role gets a message naming the known ones. */
export const AddMember = Type.Object(
  {
    workspace: Type.String({ minLength: 1, maxLength: 64 }),
    role: Type.Optional(Type.String({ minLength: 1, maxLength: 32 })),
  },
  { additionalProperties: false },
);

export const ChangeMember = Type.Object(
  { role: Type.String({ minLength: 1, maxLength: 32 }) },
  { additionalProperties: false },
);

export const MemberDoc = Type.Object(
  {
    workspace: Type.String(),
    role: Type.Union([Type.Literal('owner'), Type.Literal('collaborator'), Type.Literal('read')]),
  },
  { additionalProperties: false },
);
