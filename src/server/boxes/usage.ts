import { conflict } from '../http/errors.js';
import { boxesMentioning, instancesMentioning, listVersions, type BoxDoc } from './store.js';
import type { Db } from '../store/db.js';
import { instancesUsing } from '../instances/store.js';

/**
 * Refuses (409) to delete a box, or a draft with its versions, while an instance uses any of them
 * or another box nests one through a Box variable or an application service.
 */
export async function assertBoxUnused(db: Db, box: BoxDoc): Promise<void> {
  const ids = [box.id, ...(box.version ? [] : (await listVersions(db, box.id)).map((v) => v.id))];
  const what = (id: string) => (id === box.id ? `Box ${box.name}` : `Version ${id} of box ${box.name}`);
  for (const id of ids) {
    const instances = [
      ...new Set([...(await instancesUsing(db, 'box_id', id)), ...(await instancesMentioning(db, id))]),
    ];
    if (instances.length > 0) throw conflict(`${what(id)} is used by instance ${instances.sort().join(', ')}`);
    for (const other of await boxesMentioning(db, id)) {
      if (ids.includes(other.id)) continue;
      const variable = (other.variables ?? []).find((v) => v.type === 'Box' && v.value === id);
      if (variable)
        throw conflict(`${what(id)} is nested in box ${other.name} (${other.id}) through variable ${variable.name}`);
      const services = Array.isArray(other.services)
        ? (other.services as { name?: string; box?: { id?: string } }[])
        : [];
      const service = services.find((s) => s.box?.id === id);
      if (service)
        throw conflict(`${what(id)} is service ${service.name} of application box ${other.name} (${other.id})`);
    }
  }
}
