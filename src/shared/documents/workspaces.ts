/** Workspace documents: a user's personal workspace and team workspaces (cam-api.md §3.1). */
import { Type, type Static } from '@sinclair/typebox';
import { Closed, Deleted, MemberRef, NullableString, Timestamp } from './common.js';

/** Fields in the order a new workspace is stored with (the serializer writes them in this order). */
export const WorkspaceDocSchema = Closed({
  id: Type.String(),
  name: Type.String(),
  /** Team workspaces: the owner's personal workspace. */
  owner: Type.Optional(Type.String()),
  /** Personal workspaces: the user's email and organization. */
  email: Type.Optional(Type.String()),
  organization: Type.Optional(Type.String()),
  organizations: Type.Optional(Type.Array(Type.String())),
  members: Type.Optional(Type.Array(MemberRef)),
  ldap_groups: Type.Optional(Type.Array(Type.String())),
  add_provider: Type.Optional(Type.Boolean()),
  deploy_instance: Type.Optional(Type.Boolean()),
  take_tour: Type.Optional(Type.Boolean()),
  group_dns: Type.Optional(Type.Array(Type.String())),
  uri: Type.String(),
  schema: Type.String(),
  created: Timestamp,
  updated: Timestamp,
  deleted: Deleted,
  icon: Type.Optional(NullableString),
});
export type WorkspaceDocShape = Static<typeof WorkspaceDocSchema>;
