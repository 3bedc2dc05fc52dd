import type { Box, Instance, Provider, Workspace, WorkspaceMember } from '../types.js';
import { Resource, servicePath } from './base.js';

export interface CreateWorkspace {
  name: string;
  owner?: string;
  members?: { role: 'read' | 'collaborator'; workspace: string }[];
}

export class Workspaces extends Resource {
  list(opts: { ids?: string[]; limit?: number } = {}): Promise<Workspace[]> {
    return this.get(servicePath('workspaces'), { query: { ids: opts.ids?.join(','), limit: opts.limit } });
  }

  retrieve(id: string): Promise<Workspace> {
    return this.get(servicePath('workspaces', id));
  }

  create(body: CreateWorkspace): Promise<Workspace> {
    const doc = { schema: 'http://elasticbox.net/schemas/workspaces/team', ...body };
    return this.send('POST', servicePath('workspaces'), { body: doc });
  }

  update(id: string, doc: Workspace): Promise<Workspace> {
    return this.send('PUT', servicePath('workspaces', id), { body: doc });
  }

  delete(id: string): Promise<void> {
    return this.send('DELETE', servicePath('workspaces', id));
  }

  boxes(id: string): Promise<Box[]> {
    return this.get(servicePath('workspaces', id, 'boxes'));
  }

  instances(id: string, opts: { ids?: string[]; service?: string } = {}): Promise<Instance[]> {
    return this.get(servicePath('workspaces', id, 'instances'), {
      query: { ids: opts.ids?.join(','), service: opts.service },
    });
  }

  providers(id: string): Promise<Provider[]> {
    return this.get(servicePath('workspaces', id, 'providers'));
  }

  members(id: string): Promise<WorkspaceMember[]> {
    return this.get(servicePath('workspaces', id, 'members'));
  }

  /** Adds a user (by username) with a role; returns the new member list. */
  addMember(id: string, member: { workspace: string; role: 'read' | 'collaborator' }): Promise<WorkspaceMember[]> {
    return this.send('POST', servicePath('workspaces', id, 'members'), { body: member });
  }

  /** Changes a member's role; returns the new member list. */
  setMemberRole(id: string, username: string, role: 'read' | 'collaborator'): Promise<WorkspaceMember[]> {
    return this.send('PUT', servicePath('workspaces', id, 'members', username), { body: { role } });
  }

  removeMember(id: string, username: string): Promise<void> {
    return this.send('DELETE', servicePath('workspaces', id, 'members', username));
  }
}
