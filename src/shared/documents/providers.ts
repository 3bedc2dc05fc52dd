/** Provider documents (cam-api.md §3.7): credentials live apart and are never served. */
import { Type, type Static } from '@sinclair/typebox';
import { Closed, Deleted, DocHead, FreeForm, MemberRef, NullableString, Timestamp } from './common.js';

/**
 * A provider type's served (non-secret) fields, as the caller gave them (SSH ones normalized):
 * free-form values, since a generic provider type keeps whatever type fields it was given.
 */
const typeFields = {
  identity_url: Type.Optional(Type.Unknown()),
  project: Type.Optional(Type.Unknown()),
  username: Type.Optional(Type.Unknown()),
  endpoint: Type.Optional(Type.Unknown()),
  url: Type.Optional(Type.Unknown()),
  vorg: Type.Optional(Type.Unknown()),
  project_id: Type.Optional(Type.Unknown()),
  email: Type.Optional(Type.Unknown()),
  subscription_id: Type.Optional(Type.Unknown()),
  hosts: Type.Optional(Type.Unknown()),
  sudo: Type.Optional(Type.Unknown()),
  fingerprints: Type.Optional(Type.Unknown()),
  trust_on_first_use: Type.Optional(Type.Unknown()),
};

/** A service a provider offers (`Linux Compute`): locations, images, flavors as the provider lists them. */
export const ProviderServiceSchema = Closed({
  name: Type.String(),
  schema: Type.Optional(Type.String()),
  // Free-form: provider-specific location entries (images, keypairs, clouds…).
  locations: Type.Optional(Type.Array(FreeForm)),
  flavors: Type.Optional(Type.Array(Type.String())),
  roles: Type.Optional(Type.Array(Type.String())),
});

/** Fields in the order a provider is stored with (the serializer writes them in this order). */
export const ProviderDocSchema = Closed({
  ...DocHead,
  type: Type.String(),
  name: Type.String(),
  description: Type.Optional(NullableString),
  owner: Type.String(),
  organization: Type.Optional(Type.String()),
  state: Type.String(),
  services: Type.Optional(Type.Array(ProviderServiceSchema)),
  members: Type.Optional(Type.Array(MemberRef)),
  admin_boxes: Type.Optional(Type.Array(Type.String())),
  created: Timestamp,
  updated: Timestamp,
  deleted: Deleted,
  icon: Type.Optional(NullableString),
  ...typeFields,
});
export type ProviderDocShape = Static<typeof ProviderDocSchema>;
