import { LOCAL_PROVIDER_TYPE } from '../bootstrap.js';
import { EXISTING_MACHINES_TYPE, SSH_PROVIDER_TYPE } from '../provider-types.js';
import type { Db } from '../store/db.js';
import { getProvider } from '../store/providers.js';
import type { AgentChannel } from '../workflows/env.js';
import { ExistingMachinesProvider } from './existing-machines.js';
import { LocalProvider, type LocalProviderOptions } from './local.js';
import { SshProvider } from './ssh.js';
import type { Provider } from './types.js';

/** Finds the machine provider behind a provider document (local machines, registered ones, ssh hosts). */
export class ProviderRegistry {
  private readonly local: LocalProvider;
  private readonly existing: ExistingMachinesProvider;
  private readonly ssh: SshProvider;

  constructor(
    private readonly db: Db,
    opts: LocalProviderOptions & { agents: () => AgentChannel },
  ) {
    this.local = new LocalProvider(opts);
    this.existing = new ExistingMachinesProvider(db, opts.agents);
    this.ssh = new SshProvider(db, opts.agents, opts.dataDir);
  }

  async providerFor(providerId: string): Promise<Provider> {
    const doc = await getProvider(this.db, providerId);
    if (!doc) throw new Error(`provider ${providerId} does not exist`);
    if (doc.type === LOCAL_PROVIDER_TYPE) return this.local;
    if (doc.type === EXISTING_MACHINES_TYPE) return this.existing;
    if (doc.type === SSH_PROVIDER_TYPE) return this.ssh;
    throw new Error(`provider ${doc.name} (${doc.type}) cannot create machines in this version`);
  }
}
