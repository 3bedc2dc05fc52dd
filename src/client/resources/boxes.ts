import type { Box } from '../types.js';
import { Resource, servicePath } from './base.js';

export class Boxes extends Resource {
  list(opts: { ids?: string[] } = {}): Promise<Box[]> {
    return this.get(servicePath('boxes'), { query: { ids: opts.ids?.join(',') } });
  }

  retrieve(id: string): Promise<Box> {
    return this.get(servicePath('boxes', id));
  }

  create(doc: Partial<Box> & { owner: string; name: string }): Promise<Box> {
    const body = { schema: 'http://elasticbox.net/schemas/boxes/script', automatic_updates: 'off', ...doc };
    return this.send('POST', servicePath('boxes'), { body });
  }

  /** Updates a draft, or creates a version when `doc.version` is set. */
  update(id: string, doc: Partial<Box>): Promise<Box> {
    return this.send('PUT', servicePath('boxes', id), { body: doc });
  }

  delete(id: string): Promise<void> {
    return this.send('DELETE', servicePath('boxes', id));
  }

  /** Versions of a box, newest first. */
  versions(id: string): Promise<Box[]> {
    return this.get(servicePath('boxes', id, 'versions'));
  }

  /** The box itself first, then every box nested through Box variables. */
  stack(id: string): Promise<Box[]> {
    return this.get(servicePath('boxes', id, 'stack'));
  }

  bindings(id: string): Promise<{ id: string; uri: string; name: string; icon?: string }[]> {
    return this.get(servicePath('boxes', id, 'bindings'));
  }

  diff(id: string, doc: Partial<Box>): Promise<Record<string, unknown>> {
    return this.send('PUT', servicePath('boxes', id, 'diff'), { body: doc });
  }
}
