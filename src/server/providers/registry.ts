import { LOCAL_PROVIDER_TYPE } from '../bootstrap.js';
import type { Db } from '../store/db.js';
import { getProvider } from '../store/providers.js';
import { LocalProvider, type LocalProviderOptions } from './local.js';
import type { Provider } from './types.js';

/** Finds the machine provider behind a provider document (only the local one creates machines yet). */
export class ProviderRegistry {
  private readonly local: LocalProvider;

  constructor(
    private readonly db: Db,
    opts: LocalProviderOptions,
  ) {
    this.local = new LocalProvider(opts);
  }

  async providerFor(providerId: string): Promise<Provider> {
    const doc = await getProvider(this.db, providerId);
    if (!doc) throw new Error(`provider ${providerId} does not exist`);
    if (doc.type === LOCAL_PROVIDER_TYPE) return this.local;
    throw new Error(`provider ${doc.name} (${doc.type}) cannot create machines in this version`);
  }
}
