/** Box documents: script, policy, docker, cloudformation and application boxes (cam-api.md §3.2). */
import { Type, type Static } from '@sinclair/typebox';
import { EVENT_NAMES } from '../box-format.js';
import { BoxVariableSchema } from '../box-variables.js';
import { BoxCheckSpec } from '../monitoring/checks.js';
import { Closed, Deleted, DocHead, FileRef, FreeForm, MemberRef, NullableString, Timestamp } from './common.js';

export const VersionNumberSchema = Closed({ major: Type.Integer(), minor: Type.Integer(), patch: Type.Integer() });

export const BoxVersionSchema = Closed({
  box: Type.String(),
  number: VersionNumberSchema,
  description: Type.Optional(NullableString),
  workspace: Type.Optional(Type.String()),
});

/** Event scripts by event name (canonical names and the older aliases still stored). */
export const BoxEventsSchema = Type.Partial(Closed(Object.fromEntries(EVENT_NAMES.map((e) => [e, FileRef]))));

/** A service of an application box: a box deployed with a policy. */
export const BoxServiceSchema = Closed({
  name: Type.String(),
  box: Closed({
    id: Type.String(),
    latest: Type.Optional(Type.Boolean()),
    // Free-form: variable overrides as the author wrote them; checked when the application deploys.
    variables: Type.Optional(Type.Array(FreeForm)),
  }),
  // Free-form: a policy box reference or inline policy, checked when the application deploys.
  policy: Type.Optional(FreeForm),
  automatic_updates: Type.Optional(Type.String()),
  tags: Type.Optional(Type.Array(Type.String())),
});

/** Fields in the order a new box is stored with (the serializer writes them in this order). */
export const BoxDocSchema = Closed({
  ...DocHead,
  name: Type.String(),
  description: Type.Optional(NullableString),
  icon: Type.Optional(NullableString),
  owner: Type.String(),
  organization: Type.Optional(Type.String()),
  members: Type.Optional(Type.Array(MemberRef)),
  visibility: Type.Optional(Type.String()),
  automatic_updates: Type.Optional(Type.String()),
  variables: Type.Optional(Type.Array(BoxVariableSchema)),
  created: Timestamp,
  updated: Timestamp,
  deleted: Deleted,
  // policy boxes
  provider_id: Type.Optional(NullableString),
  claims: Type.Optional(Type.Array(Type.String())),
  // Free-form: null, seconds, a duration text or a lease object, as the author wrote it.
  lifespan: Type.Optional(Type.Unknown()),
  // Free-form: the provider-specific deployment profile (its `schema` names the provider type).
  profile: Type.Optional(FreeForm),
  requirements: Type.Optional(Type.Array(Type.String())),
  events: Type.Optional(BoxEventsSchema),
  // docker boxes
  dockerfile: Type.Optional(FileRef),
  // application boxes
  services: Type.Optional(Type.Array(BoxServiceSchema)),
  // cloudformation boxes
  type: Type.Optional(Type.String()),
  template: Type.Optional(FileRef),
  readme: Type.Optional(FileRef),
  files: Type.Optional(Type.Array(FileRef)),
  ports: Type.Optional(Type.Array(Type.Unsafe<string | number>({ type: ['string', 'integer'] }))),
  checks: Type.Optional(Type.Array(BoxCheckSpec)),
  /** Versions only: which draft, which number. */
  version: Type.Optional(BoxVersionSchema),
});
export type BoxDocShape = Static<typeof BoxDocSchema>;
