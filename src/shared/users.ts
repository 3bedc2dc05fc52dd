import { Type, type Static } from '@sinclair/typebox';

/** A user of the organization (`/services/organizations/{org}/users`); the id is also its personal workspace. */
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
export type UserDoc = Static<typeof UserDocSchema>;

export const MEMBER_ROLES = ['owner', 'collaborator', 'read'] as const;
export type MemberRole = (typeof MEMBER_ROLES)[number];

/** A workspace member: a user (named by its personal workspace id) and its role. */
export const MemberDocSchema = Type.Object(
  {
    workspace: Type.String(),
    role: Type.Union(MEMBER_ROLES.map((r) => Type.Literal(r))),
  },
  { additionalProperties: false },
);
export type MemberDoc = Static<typeof MemberDocSchema>;

/** The signed-in user (`GET /services/profile`); `username` and `workspace` are its id. */
export const ProfileDocSchema = Type.Object(
  {
    id: Type.String(),
    username: Type.String(),
    email: Type.String(),
    workspace: Type.String(),
    is_admin: Type.Boolean(),
    schema: Type.String(),
  },
  { additionalProperties: false },
);
export type ProfileDoc = Static<typeof ProfileDocSchema>;

/** An API token as listed (`GET /services/tokens`); `value` only in the answer that creates it. */
export const TokenDocSchema = Type.Object(
  {
    id: Type.String(),
    uri: Type.String(),
    schema: Type.String(),
    description: Type.String(),
    created: Type.String(),
    last_used: Type.Union([Type.String(), Type.Null()]),
    value: Type.Optional(Type.String()),
  },
  { additionalProperties: false },
);
export type TokenDoc = Static<typeof TokenDocSchema>;
