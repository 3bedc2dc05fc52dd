import type { Box, Instance, OrgUser, Provider, Workspace, WorkspaceMember } from '../../client/types.js';
import { displayState } from '../../client/wait.js';
import { stateColor } from './style.js';
import type { Column } from './table.js';

export const workspaceColumns: Column<Workspace>[] = [
  { header: 'ID', get: (w) => w.id },
  { header: 'NAME', get: (w) => w.name },
  {
    header: 'TYPE',
    get: (w) =>
      String(w.schema ?? '')
        .split('/')
        .pop(),
  },
];

export const userColumns: Column<OrgUser>[] = [
  { header: 'USERNAME', get: (u) => u.id },
  { header: 'EMAIL', get: (u) => u.email },
  { header: 'ADMIN', get: (u) => (u.is_admin ? 'yes' : '') },
  { header: 'CREATED', get: (u) => u.created },
];

export const memberColumns: Column<WorkspaceMember>[] = [
  { header: 'USER', get: (m) => m.workspace },
  { header: 'ROLE', get: (m) => m.role },
];

export const boxColumns: Column<Box>[] = [
  { header: 'ID', get: (b) => b.id },
  { header: 'NAME', get: (b) => b.name },
  { header: 'OWNER', get: (b) => b.owner },
  {
    header: 'TYPE',
    get: (b) =>
      String(b.schema ?? '')
        .split('/')
        .pop(),
  },
  { header: 'REQUIREMENTS', get: (b) => b.requirements ?? b.claims },
];

export const versionColumns: Column<Box>[] = [
  { header: 'ID', get: (b) => b.id },
  {
    header: 'VERSION',
    get: (b) => (b.version ? `${b.version.number.major}.${b.version.number.minor}.${b.version.number.patch}` : ''),
  },
  { header: 'DESCRIPTION', get: (b) => b.version?.description },
  { header: 'CREATED', get: (b) => b.created },
];

/** Instance columns by name, for `instances list --columns`. */
export const instanceColumnSet: Record<string, Column<Instance>> = {
  id: { header: 'ID', get: (i) => i.id },
  name: { header: 'NAME', get: (i) => i.name },
  state: { header: 'STATE', get: (i) => displayState(i), color: stateColor },
  operation: { header: 'OPERATION', get: (i) => i.operation?.event },
  owner: { header: 'OWNER', get: (i) => i.owner },
  tags: { header: 'TAGS', get: (i) => i.tags },
  box: { header: 'BOX', get: (i) => i.box },
  updated: { header: 'UPDATED', get: (i) => i.updated },
  created: { header: 'CREATED', get: (i) => i.created },
  raw_state: { header: 'RAW STATE', get: (i) => i.state },
};

export const DEFAULT_INSTANCE_COLUMNS = ['id', 'name', 'state', 'owner', 'tags'];

export const providerColumns: Column<Provider>[] = [
  { header: 'ID', get: (p) => p.id },
  { header: 'NAME', get: (p) => p.name },
  { header: 'TYPE', get: (p) => p.type },
  { header: 'OWNER', get: (p) => p.owner },
  { header: 'STATE', get: (p) => p.state, color: stateColor },
];
