import type { Db } from '../store/db.js';
import { registeredMachineForToken } from '../machines/registered-store.js';
import { getMachine, registeredAsMachine, type Machine } from '../workflows/store/machines.js';

/**
 * The registered machine (enrolled host) a machine credential belongs to, as the agent channel
 * sees it: while a deploy holds it, the deploy's machine (the agent still says hello as its id).
 */
export async function getRegisteredMachineByToken(db: Db, token: string): Promise<Machine | undefined> {
  const m = await registeredMachineForToken(db, token);
  if (!m) return undefined;
  const held = m.machineName ? await getMachine(db, m.machineName) : undefined;
  if (held && held.state !== 'terminated') return { ...held, agentName: m.id };
  return registeredAsMachine(m);
}
