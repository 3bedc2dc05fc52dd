import { Type } from '@sinclair/typebox';
import { MemberDocSchema, UserDocSchema } from '../../shared/users.js';

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

export { UserDocSchema };

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

export const MemberDoc = MemberDocSchema;
