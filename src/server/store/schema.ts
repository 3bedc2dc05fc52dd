import type { Generated } from 'kysely';

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

export interface Database {
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
}
