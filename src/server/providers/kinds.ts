import { LOCAL_PROVIDER_TYPE } from '../bootstrap.js';
import { EXISTING_MACHINES_TYPE, SSH_PROVIDER_TYPE } from './provider-types.js';
import type { Db } from '../store/db.js';
import type { AgentChannel } from '../workflows/env.js';
import { ExistingMachinesProvider } from './existing-machines.js';
import { LocalProvider, type LocalProviderOptions } from './local.js';
import { SshProvider } from './ssh.js';
import type { Provider } from './types.js';

export interface ProviderDeps {
  db: Db;
  agents: () => AgentChannel;
  local: LocalProviderOptions;
}

/** A provider type this server can deploy with: everything routes and the registry ask of it. */
export interface ProviderKind {
  /** The provider document's `type`. */
  readonly type: string;
  /** Its machines run scripts on the control plane's own host: only administrators create one. */
  readonly onServerHost: boolean;
  /** The provider log's line once the provider is ready. */
  readonly ready: string;
  create(deps: ProviderDeps): Provider;
}

/**
 * The one list of the provider types that can create machines here. Adding a provider is adding
 * its entry (and its document fields in provider-types.ts); no route or registry names a type.
 */
export const PROVIDER_KINDS: readonly ProviderKind[] = [
  {
    type: LOCAL_PROVIDER_TYPE,
    onServerHost: true,
    ready: 'Provider ready: machines are created on this host.',
    create: (d) => new LocalProvider(d.local),
  },
  {
    type: EXISTING_MACHINES_TYPE,
    onServerHost: false,
    ready: 'Provider ready: deploys take a free registered machine (ebcli machines register).',
    create: (d) => new ExistingMachinesProvider(d.db, d.agents),
  },
  {
    type: SSH_PROVIDER_TYPE,
    onServerHost: false,
    ready: 'Provider ready: deploys install the agent on a free host over ssh.',
    create: (d) => new SshProvider(d.db, d.agents, d.local.dataDir),
  },
];

export const providerKind = (type: string): ProviderKind | undefined => PROVIDER_KINDS.find((k) => k.type === type);
