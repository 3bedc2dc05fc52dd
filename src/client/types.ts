/**
 * Documents of the CAM 4.0 API (cam-api.md §2–3), derived from the server's response schemas
 * (src/shared/documents, issue 16) with `Static<>`.
 */
import type { BoxVariableDoc } from '../shared/box-variables.js';
import type { ErrorCode } from '../shared/error-codes.js';
import type { MemberDoc, ProfileDoc, TokenDoc, UserDoc } from '../shared/users.js';
import type { Static } from '@sinclair/typebox';
// Type imports only: the documents' TypeBox schemas never reach the CLI bundles at run time.
import type { BoxDocSchema } from '../shared/documents/boxes.js';
import type {
  ActivitySchema,
  InstanceDocSchema,
  OperationRecordSchema,
  PullAnswerSchema,
  ServiceDocSchema,
  ServiceMachineSchema,
} from '../shared/documents/instances.js';
import type { EnrollmentSchema, RegisteredMachineSchema } from '../shared/documents/machines.js';
import type { ProviderDocSchema } from '../shared/documents/providers.js';
import type { WorkspaceDocSchema } from '../shared/documents/workspaces.js';

export type Doc = Record<string, unknown> & { id: string; uri?: string; schema?: string };

/** A workspace document (src/shared/documents/workspaces.ts). */
export type Workspace = Static<typeof WorkspaceDocSchema>;

/**
 * A box or instance variable as the server serves it (one schema, src/shared/box-variables.ts);
 * open-ended so documents of newer servers still read.
 */
export type Variable = BoxVariableDoc & { [k: string]: unknown };

/** A box document (src/shared/documents/boxes.ts). */
export type Box = Static<typeof BoxDocSchema> & {
  /** CAM servers' friendly name of a box (ebcli's server serves none). */
  friendly_id?: string;
};

export type InstanceState = 'processing' | 'done' | 'unavailable';

/** An instance document (src/shared/documents/instances.ts). */
export type Instance = Omit<Static<typeof InstanceDocSchema>, 'service'> & {
  service?: Omit<NonNullable<Static<typeof InstanceDocSchema>['service']>, 'machines'> & {
    machines: InstanceMachine[];
  };
};

/** A machine as an instance lists it; CAM servers also give its `address` there. */
export type InstanceMachine = NonNullable<Static<typeof InstanceDocSchema>['service']>['machines'][number] & {
  address?: { public?: string; private?: string };
};

/** A machine of an instance's service (`GET …/service`). */
export type Machine = Static<typeof ServiceMachineSchema>;

/** `GET /services/instances/{id}/service`. */
export type ServiceDoc = Static<typeof ServiceDocSchema>;

/** An activity entry of an instance. */
export type Activity = Omit<Static<typeof ActivitySchema>, 'code'> & {
  /** On failure entries: why, machine-readable (e.g. `agent_unreachable`). */
  code?: ErrorCode;
};

/** One operation of an instance with its activity (`GET …/operations`). */
export type OperationRecord = Omit<Static<typeof OperationRecordSchema>, 'activity'> & { activity: Activity[] };

export interface DeployRequest {
  schema?: string;
  /** The workspace; without it the server deploys into the caller's own workspace (the profile's). */
  owner?: string;
  name: string;
  box: { id: string; variables?: Variable[] | Partial<Variable>[] };
  policy_box?: { id: string; variables?: Variable[] };
  instance_tags?: string[];
  automatic_updates?: 'off' | 'major' | 'minor' | 'patch';
  lease?: { expire: string; operation: 'shutdown' | 'terminate' };
  [k: string]: unknown;
}

/** A provider document (src/shared/documents/providers.ts). */
export type Provider = Static<typeof ProviderDocSchema>;

export type Token = TokenDoc;

/** `GET /services/profile`. */
export type UserProfile = ProfileDoc;

export interface BlobRef {
  url: string;
  upload_date?: string;
  length?: number;
  content_type?: string;
}

/** Lifecycle operations that take an instance id. */
export type InstanceOperation =
  'reconfigure' | 'reinstall' | 'poweron' | 'shutdown' | 'terminate' | 'force_terminate' | 'delete';

/** The answer to `PUT /services/instances/{id}/pull`. */
export type PullAnswer = Static<typeof PullAnswerSchema>;

/** A host running the installed agent, enrolled with a one-time token (`ebcli machines register`). */
export type RegisteredMachine = Static<typeof RegisteredMachineSchema>;

/** A minted enrollment token and the commands that install an agent with it. */
export type Enrollment = Static<typeof EnrollmentSchema>;

/** A user of the organization (`/services/organizations/{org}/users`); the id is also its personal workspace. */
export type OrgUser = UserDoc;

/** A workspace member: a user (named by its personal workspace id) and its role. */
export type WorkspaceMember = MemberDoc;
