import type { Generated } from 'kysely';
import type { MonitoringTables } from '../monitoring/tables.js';

/** Rows as stored. Documents are kept whole as JSON text next to the columns queries need. */
export interface UsersTable {
  id: string;
  email: string;
  password_hash: string;
  is_admin: number;
  created: string;
  updated: string;
}

export interface TokensTable {
  id: string;
  user_id: string;
  hash: string;
  description: string;
  created: string;
  last_used: string | null;
}

export interface WorkspacesTable {
  id: string;
  kind: 'personal' | 'team';
  owner: string;
  name: string;
  doc: string;
  created: string;
  updated: string;
}

export interface MembershipsTable {
  workspace_id: string;
  member: string;
  role: 'owner' | 'collaborator' | 'read';
}

export interface BoxesTable {
  id: string;
  owner: string;
  name: string;
  schema: string;
  parent_id: string | null;
  version_number: string | null;
  doc: string;
  created: string;
  updated: string;
}

export interface BlobsTable {
  id: string;
  name: string;
  uploader: string;
  content_type: string;
  length: number;
  md5: string;
  data: Buffer;
  created: string;
}

export interface BoxBlobsTable {
  box_id: string;
  blob_id: string;
}

export interface ProvidersTable {
  id: string;
  owner: string;
  name: string;
  type: string;
  doc: string;
  secrets: string;
  created: string;
  updated: string;
}

export interface InstancesTable {
  id: string;
  owner: string;
  name: string;
  box_id: string;
  provider_id: string | null;
  state: string;
  doc: string;
  /** 1: reconfigured when its bindings' membership changes (migration 0010; kept by instances/store.ts). */
  binding_watch: Generated<number>;
  created: string;
  updated: string;
}

export interface ProviderLogsTable {
  seq: Generated<number>;
  id: string;
  provider_id: string;
  level: number;
  text: string;
  operation: string;
  workspace: string;
  created: string;
}

export interface StreamHeadsTable {
  workspace: string;
  head: number;
  epoch: string;
}

export interface EventsTable {
  workspace: string;
  seq: number;
  type: string;
  instance_id: string | null;
  operation_id: string | null;
  data: string;
  created: string;
}

export interface WorkflowsTable {
  id: string;
  instance_id: string;
  workspace: string;
  operation: string;
  state: string;
  open_for: string | null;
  plan: string;
  next_step: number;
  lease_owner: string | null;
  lease_expires: number;
  error: string | null;
  username: string;
  request_id: string;
  created: string;
  updated: string;
  finished: string | null;
}

export interface StepResultsTable {
  workflow_id: string;
  step: number;
  kind: string;
  outcome: string;
  result: string;
  created: string;
}

export interface MachinesTable {
  name: string;
  instance_id: string;
  workspace: string;
  service_id: string;
  provider_id: string;
  token_hash: string | null;
  state: string;
  address: string;
  agent_pid: number | null;
  agent_version: string | null;
  connected: number;
  connections: number;
  last_agent_ping: string | null;
  created: string;
  updated: string;
}

export interface ExecutionsTable {
  id: string;
  workflow_id: string;
  step: number;
  instance_id: string;
  workspace: string;
  machine: string;
  scope: string;
  box_name: string;
  event: string;
  activity_id: number | null;
  status: string | null;
  exit_code: number | null;
  message: string | null;
  truncated: number;
  last_seq: number | null;
  stored_seq: number;
  stored_bytes: number;
  created: string;
  finished: string | null;
}

export interface ExecutionRecordsTable {
  execution_id: string;
  seq: number;
  kind: string;
  stream: string | null;
  text: string;
  partial: number;
  created: string;
}

export interface ActivitiesTable {
  id: Generated<number>;
  instance_id: string;
  workflow_id: string | null;
  workspace: string;
  text: string;
  level: string;
  box: string | null;
  machine: string | null;
  event: string | null;
  exit_code: number | null;
  finished: string | null;
  username: string | null;
  request_id: string | null;
  /** Machine-readable reason of a failure entry (shared/errors.ts), else null. */
  code: string | null;
  created: string;
}

export interface IdempotencyKeysTable {
  user_id: string;
  key: string;
  method: string;
  path: string;
  body_hash: string;
  owner: string;
  status: number | null;
  response: string | null;
  content_type: string | null;
  created: string;
}

/** A reconfigure queued for a busy instance (automatic reconfiguration, `elasticbox notify`). */
export interface PendingReconfiguresTable {
  instance_id: string;
  workspace: string;
  forced: number;
  causes: string;
  created: string;
  updated: string;
}

/** A console sign-in: the cookie value is kept only as its hash. */
export interface ConsoleSessionsTable {
  hash: string;
  user_id: string;
  csrf: string;
  created: string;
  expires: string;
}

export interface EnrollmentTokensTable {
  id: string;
  workspace: string;
  token_hash: string;
  claims: string;
  expires: string;
  used: number;
  machine_id: string | null;
  created_by: string;
  created: string;
  /** Set when minted for one deploy's machine (SSH provider): the machine is held from enrollment. */
  instance_id?: string | null;
  machine_name?: string | null;
}

export interface SshInstallsTable {
  machine_name: string;
  provider_id: string;
  workspace: string;
  instance_id: string;
  host: string;
  sudo: number;
  enrollment_id: string | null;
  created: string;
}

export interface RegisteredMachinesTable {
  id: string;
  workspace: string;
  hostname: string;
  claims: string;
  token_hash: string;
  agent_version: string | null;
  address: string | null;
  connected: number;
  last_seen: string | null;
  instance_id: string | null;
  machine_name: string | null;
  created: string;
  updated: string;
}

export interface Database extends MonitoringTables {
  stream_heads: StreamHeadsTable;
  events: EventsTable;
  users: UsersTable;
  tokens: TokensTable;
  workspaces: WorkspacesTable;
  memberships: MembershipsTable;
  boxes: BoxesTable;
  blobs: BlobsTable;
  box_blobs: BoxBlobsTable;
  providers: ProvidersTable;
  provider_logs: ProviderLogsTable;
  instances: InstancesTable;
  workflows: WorkflowsTable;
  step_results: StepResultsTable;
  machines: MachinesTable;
  executions: ExecutionsTable;
  execution_records: ExecutionRecordsTable;
  activities: ActivitiesTable;
  idempotency_keys: IdempotencyKeysTable;
  pending_reconfigures: PendingReconfiguresTable;
  console_sessions: ConsoleSessionsTable;
  enrollment_tokens: EnrollmentTokensTable;
  registered_machines: RegisteredMachinesTable;
  ssh_installs: SshInstallsTable;
}
