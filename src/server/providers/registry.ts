import type { Db } from '../store/db.js';
import { getProvider } from './store.js';
import type { AgentChannel } from '../workflows/env.js';
import { providerKind, type ProviderDeps } from './kinds.js';
import type { LocalProviderOptions } from './local.js';
import type { Provider } from './types.js';

/** Finds the machine provider behind a provider document, one instance per provider type (kinds.ts). */
export class ProviderRegistry {
  private readonly deps: ProviderDeps;
  private readonly made = new Map<string, Provider>();

  constructor(db: Db, opts: LocalProviderOptions & { agents: () => AgentChannel }) {
    const { agents, ...local } = opts;
    this.deps = { db, agents, local };
  }

  async providerFor(providerId: string): Promise<Provider> {
    const doc = await getProvider(this.deps.db, providerId);
    if (!doc) throw new Error(`provider ${providerId} does not exist`);
    const kind = providerKind(doc.type);
    if (!kind) throw new Error(`provider ${doc.name} (${doc.type}) cannot create machines in this version`);
    let provider = this.made.get(kind.type);
    if (!provider) this.made.set(kind.type, (provider = kind.create(this.deps)));
    return provider;
  }
}
