/** Instance documents and the views of an instance: service, operations, activity (cam-api.md §3.4–3.6). */
import { Type, type Static } from '@sinclair/typebox';
import { BoxVariableSchema } from '../box-variables.js';
import { BoxDocSchema } from './boxes.js';
import { Closed, Deleted, DocHead, MemberRef, NullableString, Timestamp } from './common.js';

/** A variable an instance sets: a box variable's override (its value always given), by scope. */
export const InstanceVariableSchema = Closed({ ...BoxVariableSchema.properties, value: Type.String() });

export const InstanceStateSchema = Type.Unsafe<'processing' | 'done' | 'unavailable'>({
  type: 'string',
  enum: ['processing', 'done', 'unavailable'],
});

/** The machines an instance's service lists (name and power state). */
export const ServiceMachineRef = Closed({
  name: Type.String(),
  state: Type.String(),
  // Free-form: CAM's per-machine workflow entries; ebcli serves an empty list.
  workflow: Type.Optional(Type.Array(Type.Unknown())),
});

export const InstanceDocSchema = Closed({
  ...DocHead,
  name: Type.String(),
  owner: Type.String(),
  icon: Type.Optional(NullableString),
  state: InstanceStateSchema,
  operation: Closed({
    event: Type.String(),
    workspace: Type.Optional(Type.String()),
    created: Type.Optional(Timestamp),
  }),
  box: Type.String(),
  boxes: Type.Optional(Type.Array(BoxDocSchema)),
  policy_box: Type.Optional(BoxDocSchema),
  service: Type.Optional(Closed({ type: Type.String(), id: Type.String(), machines: Type.Array(ServiceMachineRef) })),
  variables: Type.Optional(Type.Array(InstanceVariableSchema)),
  tags: Type.Optional(Type.Array(Type.String())),
  bindings: Type.Optional(Type.Array(Closed({ instance: Type.String(), name: Type.String(), scope: Type.String() }))),
  members: Type.Optional(Type.Array(MemberRef)),
  automatic_updates: Type.Optional(Type.String()),
  automatic_reconfiguration: Type.Optional(Type.Boolean()),
  lease: Type.Optional(Closed({ expire: Timestamp, operation: Type.String(), released: Type.Boolean() })),
  ipv4_address: Type.Optional(Type.String()),
  /** Instances deployed by an application box: which one. */
  application: Type.Optional(Closed({ id: Type.String(), name: Type.String() })),
  created: Timestamp,
  updated: Timestamp,
  deleted: Deleted,
});
export type InstanceDocShape = Static<typeof InstanceDocSchema>;

/** An activity entry of an instance (cam-api.md §3.6). */
export const ActivitySchema = Closed({
  text: Type.String(),
  level: Type.String(),
  request_id: Type.Optional(NullableString),
  created: Timestamp,
  box: Type.Optional(Type.String()),
  machine: Type.Optional(Type.String()),
  event: Type.Optional(Type.String()),
  exit_code: Type.Optional(Type.Unsafe<number | null>({ type: ['integer', 'null'] })),
  finished: Type.Optional(NullableString),
  username: Type.Optional(Type.String()),
  /** On failure entries: why, machine-readable (e.g. `agent_unreachable`). */
  code: Type.Optional(Type.String()),
});
export type ActivityShape = Static<typeof ActivitySchema>;

/** One operation of an instance with its activity (`GET …/operations`). */
export const OperationRecordSchema = Closed({
  ...DocHead,
  operation: Type.String(),
  instance: Type.String(),
  workspace: Type.String(),
  username: Type.Optional(NullableString),
  state: Type.String(),
  instance_state: Type.String(),
  request_id: Type.Optional(NullableString),
  error: Type.Optional(Type.String()),
  activity: Type.Array(ActivitySchema),
  created: Timestamp,
  updated: Timestamp,
  deleted: Deleted,
});

/** A machine of an instance's service (`GET …/service`). */
export const ServiceMachineSchema = Closed({
  name: Type.String(),
  hostname: Type.String(),
  state: Type.String(),
  address: Closed({ public: Type.String(), private: Type.String() }),
  schema: Type.String(),
  external_id: NullableString,
  agent_version: NullableString,
  last_agent_ping: NullableString,
  agent_connected: Type.Boolean(),
  created: Timestamp,
  updated: Timestamp,
});

/** `GET /services/instances/{id}/service`: the service and its machines (`operation` is a string here). */
export const ServiceDocSchema = Closed({
  schema: Type.String(),
  uri: Type.String(),
  id: Type.String(),
  type: Type.String(),
  provider_id: Type.Optional(Type.String()),
  // Free-form: the policy box's provider-specific profile.
  profile: Type.Record(Type.String(), Type.Unknown()),
  state: Type.String(),
  operation: Type.Optional(Type.String()),
  state_history: Type.Array(Type.Unknown()),
  machines: Type.Array(ServiceMachineSchema),
  tags: Type.Array(Type.String()),
  variables: Type.Array(Type.Unknown()),
  created: Timestamp,
  updated: Timestamp,
  deleted: Deleted,
});

/** The answer to `PUT /services/instances/{id}/pull`. */
export const PullAnswerSchema = Closed({
  id: Type.String(),
  /** The operation started (`reinstall`, `reconfigure`), or `pull` when the change runs no script. */
  method: Type.String(),
  /** The box version the instance now runs. */
  box: Type.String(),
  changes: Type.Array(
    Closed({ kind: Type.String(), name: Type.String(), change: Type.String(), requires: Type.String() }),
  ),
  scripts: Type.Array(Type.String()),
});
