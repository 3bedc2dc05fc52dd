import { LOCAL_PROVIDER_TYPE } from '../bootstrap.js';
import { EXISTING_MACHINES_TYPE } from '../provider-types.js';
import type { Db } from '../store/db.js';
import { getProvider } from '../store/providers.js';
import type { AgentChannel } from '../workflows/env.js';
import { ExistingMachinesProvider } from './existing-machines.js';
import { LocalProvider, type LocalProviderOptions } from './local.js';
import type { Provider } from './types.js';

/** Finds the machine provider behind a provider document (local machines and registered ones). */
export class ProviderRegistry {
  private readonly local: LocalProvider;
  private readonly existing: ExistingMachinesProvider;

  constructor(
    private readonly db: Db,
    opts: LocalProviderOptions & { agents: () => AgentChannel },
  ) {
    this.local = new LocalProvider(opts);
    this.existing = new ExistingMachinesProvider(db, opts.agents);
  }

  async providerFor(providerId: string): Promise<Provider> {
    const doc = await getProvider(this.db, providerId);
    if (!doc) throw new Error(`provider ${providerId} does not exist`);
    if (doc.type === LOCAL_PROVIDER_TYPE) return this.local;
    if (doc.type === EXISTING_MACHINES_TYPE) return this.existing;
    throw new Error(`provider ${doc.name} (${doc.type}) cannot create machines in this version`);
  }
}
