/** Provider documents (cam-api.md §3.7): credentials live apart and are never served. */
import { Type, type Static } from '@sinclair/typebox';
import { Closed, Deleted, DocHead, FreeForm, MemberRef, NullableString, Timestamp } from './common.js';

/**
 * A provider type's served (non-secret) fields, as the caller gave them (SSH ones normalized):
 * free-form values, since a generic provider type keeps whatever type fields it was given.
 */
const TYPE_FIELDS = [
  'identity_url',
  'project',
  'username',
  'endpoint',
  'url',
  'vorg',
  'project_id',
  'email',
  'subscription_id',
  'hosts',
  'sudo',
  'fingerprints',
  'trust_on_first_use',
] as const;

/** A service a provider offers (`Linux Compute`): locations, images, flavors as the provider lists them. */
export const ProviderServiceSchema = Closed({
  name: Type.String(),
  schema: Type.Optional(Type.String()),
  // Free-form: provider-specific location entries (images, keypairs, clouds…).
  locations: Type.Optional(Type.Array(FreeForm)),
  flavors: Type.Optional(Type.Array(Type.String())),
  roles: Type.Optional(Type.Array(Type.String())),
});

export const ProviderDocSchema = Closed({
  ...DocHead,
  type: Type.String(),
  name: Type.String(),
  description: Type.Optional(NullableString),
  icon: Type.Optional(NullableString),
  owner: Type.String(),
  organization: Type.Optional(Type.String()),
  state: Type.String(),
  services: Type.Optional(Type.Array(ProviderServiceSchema)),
  members: Type.Optional(Type.Array(MemberRef)),
  admin_boxes: Type.Optional(Type.Array(Type.String())),
  ...Object.fromEntries(TYPE_FIELDS.map((f) => [f, Type.Optional(Type.Unknown())])),
  created: Timestamp,
  updated: Timestamp,
  deleted: Deleted,
});
export type ProviderDocShape = Static<typeof ProviderDocSchema>;
