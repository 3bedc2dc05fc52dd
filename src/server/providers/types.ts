import type { MachineAddress } from '../workflows/store/machines.js';

export type { MachineAddress };

/** What a provider needs to bring up one machine and its agent. */
export interface MachineSpec {
  name: string;
  instanceId: string;
  /** The machine's agent token (plaintext; the store keeps only its hash). */
  token: string;
  /** Control plane URL the agent connects to. */
  serverUrl: string;
  pingIntervalMs: number;
}

export interface AgentProcess {
  /** Process id of the agent (for the local provider, also its process group id). */
  agentPid: number;
}

/**
 * Where machines come from (architecture.md "providers"). Every call is idempotent per machine
 * name, because a workflow step that crashed before its result was recorded runs again.
 */
/** A value, or a promise of it: a remote provider may need to ask its host. */
export type MaybePromise<T> = T | Promise<T>;

export interface Provider {
  /** Short name in activity lines (`local`, `ssh`, `existing`). */
  readonly kind: string;
  /**
   * The machine's agent runs under a supervisor of its own host and reconnects by itself: the
   * server never restarts it (remote hosts). Unset: the server restarts a dead agent (this host).
   */
  readonly selfSupervised?: boolean;
  /** Creates the machine (or finds it) and starts its agent unless one is already running. */
  provision(spec: MachineSpec): Promise<AgentProcess & { address: MachineAddress }>;
  /** The token a machine's agent already uses, so provisioning again keeps a live agent valid. */
  existingToken(name: string): MaybePromise<string | undefined>;
  /** Starts the agent of an existing machine when it is not running (power on, host reboot). */
  boot(spec: MachineSpec): Promise<AgentProcess>;
  /** Restarts the machine's agent: what a script's exit code 100 (reboot) means on this provider. */
  reboot(spec: MachineSpec): Promise<AgentProcess>;
  /** Stops the machine and its agent; its data stays. */
  powerOff(name: string): Promise<void>;
  /** Stops everything the machine runs and removes it. */
  destroy(name: string): Promise<void>;
  /** Whether the machine's agent process is running. */
  agentAlive(name: string): MaybePromise<boolean>;
  /**
   * Why the machine's agent is not running, when the provider can tell (the end of its log): a
   * wait for its connection then fails at once with this instead of timing out.
   */
  agentExitCause?(name: string): string | undefined;
}
