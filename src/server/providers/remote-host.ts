import type { AgentChannel } from '../workflows/env.js';
import { CloseCode } from '../../shared/protocol.js';
import type { AgentProcess, MachineAddress, MachineSpec, Provider } from './types.js';

/**
 * What every provider of machines on other hosts shares (SSH, Existing Machines): the agent there
 * is installed once, runs under the host's own supervisor and reconnects by itself, so the server
 * neither hands it a token again nor starts, powers off or supervises its process. A reboot (a
 * script's exit code 100) asks the agent to reconnect.
 */
export abstract class RemoteHostProvider implements Provider {
  abstract readonly kind: string;
  readonly selfSupervised = true;

  constructor(protected readonly agents: () => AgentChannel) {}

  abstract provision(spec: MachineSpec): Promise<AgentProcess & { address: MachineAddress }>;
  abstract destroy(name: string): Promise<void>;

  /** The host's agent keeps its own credential. */
  existingToken(): undefined {
    return undefined;
  }

  async boot(): Promise<AgentProcess> {
    return { agentPid: 0 };
  }

  async reboot(spec: MachineSpec): Promise<AgentProcess> {
    this.agents().disconnect(spec.name, CloseCode.goingAway, 'reboot');
    return { agentPid: 0 };
  }

  async powerOff(): Promise<void> {
    // The host is not ours to power off.
  }

  agentAlive(name: string): boolean {
    return this.agents().session(name) !== undefined;
  }
}
