import { Type } from '@sinclair/typebox';
import { schemaUrl } from '../store/docs.js';

export const Member = Type.Object(
  {
    role: Type.Union([Type.Literal('read'), Type.Literal('collaborator')]),
    workspace: Type.String({ minLength: 1, maxLength: 64 }),
  },
  { additionalProperties: false },
);

export const CreateWorkspace = Type.Object(
  {
    schema: Type.Optional(Type.Literal(schemaUrl('workspaces/team'))),
    name: Type.String({ minLength: 1, maxLength: 64, pattern: '\\S' }),
    owner: Type.Optional(Type.String({ minLength: 1, maxLength: 64 })),
    members: Type.Optional(Type.Array(Member, { maxItems: 500 })),
    ldap_groups: Type.Optional(Type.Array(Type.String({ maxLength: 256 }), { maxItems: 100 })),
    organizations: Type.Optional(Type.Array(Type.String({ maxLength: 64 }), { maxItems: 20 })),
  },
  { additionalProperties: false },
);

/** PUT sends the full document back; fields outside the editable set are ignored. */
export const UpdateWorkspace = Type.Object(
  {
    name: Type.Optional(Type.String({ minLength: 1, maxLength: 64, pattern: '\\S' })),
    members: Type.Optional(Type.Array(Member, { maxItems: 500 })),
    ldap_groups: Type.Optional(Type.Array(Type.String({ maxLength: 256 }), { maxItems: 100 })),
    icon: Type.Optional(Type.Union([Type.String({ maxLength: 2048 }), Type.Null()])),
    take_tour: Type.Optional(Type.Boolean()),
  },
  { additionalProperties: true },
);

export const WorkspaceParams = Type.Object({ ws: Type.String({ minLength: 1, maxLength: 64 }) });
