/** Documents of the CAM 4.0 API (cam-api.md §2–3). Fields the client does not use stay open-ended. */
import type { BoxVariableDoc } from '../shared/box-variables.js';
import type { ErrorCode } from '../shared/error-codes.js';
import type { MemberDoc, UserDoc } from '../shared/users.js';

export type Doc = Record<string, unknown> & { id: string; uri?: string; schema?: string };

export interface Workspace extends Doc {
  name: string;
  owner?: string;
  members?: { role: string; workspace: string }[];
}

/**
 * A box or instance variable as the server serves it (one schema, src/shared/box-variables.ts);
 * open-ended so documents of newer servers still read.
 */
export type Variable = BoxVariableDoc & { [k: string]: unknown };

export interface Box extends Doc {
  name: string;
  owner: string;
  description?: string;
  requirements?: string[];
  claims?: string[];
  variables?: Variable[];
  friendly_id?: string;
  version?: { box: string; description?: string; number: { major: number; minor: number; patch: number } };
  created?: string;
  updated?: string;
}

export type InstanceState = 'processing' | 'done' | 'unavailable';

export interface Instance extends Doc {
  name: string;
  owner: string;
  box: string;
  state: InstanceState;
  operation: { event: string; workspace?: string; created?: string };
  tags?: string[];
  variables?: Variable[];
  boxes?: Box[];
  policy_box?: Box;
  service?: { type?: string; id?: string; machines?: Machine[] };
  created: string;
  updated: string;
}

export interface Machine {
  name: string;
  state?: string;
  address?: { public?: string; private?: string };
  [k: string]: unknown;
}

export interface ServiceDoc extends Doc {
  type?: string;
  state?: string;
  operation?: string;
  machines?: Machine[];
}

export interface Activity {
  text: string;
  level: string;
  created: string;
  request_id?: string;
  box?: string;
  machine?: string;
  event?: string;
  exit_code?: number;
  finished?: string;
  /** On failure entries: why, machine-readable (e.g. `agent_unreachable`). */
  code?: ErrorCode;
  [k: string]: unknown;
}

export interface OperationRecord extends Doc {
  operation: string;
  instance: string;
  state: string;
  instance_state?: string;
  activity: Activity[];
  created: string;
}

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

export interface Provider extends Doc {
  name: string;
  type: string;
  owner: string;
  state: string;
  description?: string;
  created?: string;
  updated?: string;
}

export interface Token extends Doc {
  description: string;
  created: string;
  last_used: string | null;
  value?: string;
}

export interface UserProfile extends Doc {
  email: string;
  workspace: string;
  username?: string;
  is_admin?: boolean;
}

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
export interface PullAnswer {
  id: string;
  /** The operation started (`reinstall`, `reconfigure`), or `pull` when the change runs no script. */
  method: string;
  /** The box version the instance now runs. */
  box: string;
  changes: { kind: string; name: string; change: string; requires: string }[];
  scripts: string[];
}

/** A host running the installed agent, enrolled with a one-time token (`ebcli machines register`). */
export interface RegisteredMachine {
  id: string;
  owner: string;
  hostname: string;
  claims: string[];
  /** From the agent channel: `online` while its agent is connected. */
  state: 'online' | 'offline';
  /** Last connect, disconnect or heartbeat (CAM timestamp, UTC); null before the first. */
  last_seen: string | null;
  agent_version: string | null;
  address: string | null;
  /** The instance holding the machine, if any. */
  instance: string | null;
  created: string;
  updated: string;
}

/** A minted enrollment token and the commands that install an agent with it. */
export interface Enrollment {
  id: string;
  owner: string;
  claims: string[];
  expires: string;
  /** One-time secret; shown once. */
  token: string;
  bootstrap_url: string;
  /** The one-liner, as root: `curl … | sudo env EBCLI_ENROLL_TOKEN=… sh`. */
  command: string;
  /** The one-liner installing for the current user. */
  user_command: string;
}

/** A user of the organization (`/services/organizations/{org}/users`); the id is also its personal workspace. */
export type OrgUser = UserDoc;

/** A workspace member: a user (named by its personal workspace id) and its role. */
export type WorkspaceMember = MemberDoc;
