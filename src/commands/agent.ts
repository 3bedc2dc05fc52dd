import { Flags } from '@oclif/core';
import { BaseCommand } from '../cli/base-command.js';

export interface AgentResult {
  machine: string;
  signal?: string;
}

/** The machine agent (started by providers on each machine; not for interactive use). */
export default class Agent extends BaseCommand<typeof Agent> {
  static override hidden = true;
  static override summary = 'Run the machine agent until SIGTERM';
  static override exitOnInterrupt = false;

  static override flags = {
    url: Flags.string({ description: 'control plane URL', required: true }),
    'token-file': Flags.string({ description: 'file holding the machine token', required: true }),
    'ca-file': Flags.string({ description: 'CA certificate (PEM) to trust besides the system roots' }),
    workdir: Flags.string({ description: 'scripts run in <workdir>/<instance id>', default: '/var/elasticbox' }),
    'spool-dir': Flags.string({ description: 'the agent outbox and runtime files', required: true }),
    machine: Flags.string({ description: 'machine name', required: true }),
    'ping-interval': Flags.integer({ description: 'heartbeat interval in ms', hidden: true }),
    'reconnect-base': Flags.integer({ description: 'first reconnect backoff window in ms', hidden: true }),
    'reconnect-cap': Flags.integer({ description: 'largest reconnect backoff window in ms', hidden: true }),
  };

  async run(): Promise<AgentResult> {
    const f = this.flags;
    const { runAgentProcess } = await import('../agent/agent-process.js');
    const agent = await runAgentProcess({
      // oclif enforces the required flags before run().
      url: f.url as string,
      tokenFile: f['token-file'] as string,
      caFile: f['ca-file'],
      workdir: f.workdir ?? '/var/elasticbox',
      spoolDir: f['spool-dir'] as string,
      machine: f.machine as string,
      pingIntervalMs: f['ping-interval'],
      reconnectBaseMs: f['reconnect-base'],
      reconnectCapMs: f['reconnect-cap'],
      onLog: (level, message, fields) =>
        process.stderr.write(`${JSON.stringify({ time: new Date().toISOString(), level, message, ...fields })}\n`),
    });
    let signal: string | undefined;
    const stop = (s: NodeJS.Signals) => {
      signal = s;
      void agent.stop();
    };
    process.once('SIGTERM', stop);
    process.once('SIGINT', stop);
    await agent.done;
    return { machine: f.machine as string, ...(signal ? { signal } : {}) };
  }
}
