/**
 * The host agent's control protocol (one JSON line each way on its unix socket): the server
 * (src/server/providers/host-agent-client.ts) asks the host agent (src/agent/host-agent.ts) to
 * start or stop a local machine's agent, or whether it is alive.
 */
export type HostAgentRequest =
  | {
      op: 'start';
      name: string;
      url: string;
      pingIntervalMs: number;
      reconnectBaseMs: number;
      reconnectCapMs: number;
    }
  | { op: 'stop'; name: string }
  | { op: 'ping' };

export interface HostAgentReply {
  ok: boolean;
  pid?: number;
  machines?: number;
  error?: string;
}
