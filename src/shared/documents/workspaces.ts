/** Workspace documents: a user's personal workspace and team workspaces (cam-api.md §3.1). */
import { Type, type Static } from '@sinclair/typebox';
import { Closed, Deleted, DocHead, MemberRef, NullableString, Timestamp } from './common.js';

export const WorkspaceDocSchema = Closed({
  ...DocHead,
  name: Type.String(),
  /** Team workspaces: the owner's personal workspace. */
  owner: Type.Optional(Type.String()),
  /** Personal workspaces. */
  email: Type.Optional(Type.String()),
  organization: Type.Optional(Type.String()),
  organizations: Type.Optional(Type.Array(Type.String())),
  members: Type.Optional(Type.Array(MemberRef)),
  ldap_groups: Type.Optional(Type.Array(Type.String())),
  group_dns: Type.Optional(Type.Array(Type.String())),
  add_provider: Type.Optional(Type.Boolean()),
  deploy_instance: Type.Optional(Type.Boolean()),
  take_tour: Type.Optional(Type.Boolean()),
  icon: Type.Optional(NullableString),
  created: Timestamp,
  updated: Timestamp,
  deleted: Deleted,
});
export type WorkspaceDocShape = Static<typeof WorkspaceDocSchema>;
