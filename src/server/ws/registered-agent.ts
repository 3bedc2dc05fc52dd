import type { Db } from '../store/db.js';
import { registeredMachineForToken } from '../store/registered-machines.js';
import { registeredAsMachine, type Machine } from '../workflows/store/machines.js';

/** The registered machine (enrolled host) a machine credential belongs to, as the agent channel sees it. */
export async function getRegisteredMachineByToken(db: Db, token: string): Promise<Machine | undefined> {
  const m = await registeredMachineForToken(db, token);
  return m ? registeredAsMachine(m) : undefined;
}
