/**
 * Registered machines for the fault campaigns: many real agents (src/agent/main.ts, the code the
 * agent program runs: websocket protocol, spool, outbox, real shell scripts) in this one process,
 * each enrolled through the API like `ebcli machines register` and connected to one replica (they
 * take turns). Scripts given to them by the campaign append their execution id
 * (ELASTICBOX_EXECUTION_ID) to one file: `scriptRuns()` counts how many times each execution
 * started on the agents (NL-3).
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { enroll } from '../../src/agent/enroll.js';
import { AGENT_VERSION, runAgent, type AgentHandle } from '../../src/agent/main.js';
import type { CampaignApi } from './campaign-api.js';
import { AgentFleet as SimulatedFleet } from './simulated-agents.js';

export interface AgentFleet {
  machines: string[];
  /** The file scripts append their execution id to. */
  runsFile: string;
  scriptRuns(): Map<string, number>;
  stop(): Promise<void>;
}

export interface FleetOptions {
  count: number;
  /** The replica each agent connects to: agent i → urls[i % urls.length]. */
  urls: string[];
  ca: string;
  claims: string[];
  api: CampaignApi;
  dir: string;
  pingIntervalMs?: number;
  /**
   * `real` (default): the agent code itself, running real shell scripts. `simulated`: protocol-
   * faithful agents that answer at once without spawning anything (bench/lib/simulated-agents.ts),
   * for throughput benches where the control plane, not the machine, is measured.
   */
  kind?: 'real' | 'simulated';
}

export async function startAgentFleet(opts: FleetOptions): Promise<AgentFleet> {
  if (opts.kind === 'simulated') return startSimulatedFleet(opts);
  mkdirSync(opts.dir, { recursive: true });
  const caFile = join(opts.dir, 'ca.pem');
  writeFileSync(caFile, opts.ca);
  const runsFile = join(opts.dir, 'script-runs');
  writeFileSync(runsFile, '');
  const handles: AgentHandle[] = [];
  const machines: string[] = [];
  const stop = async () => {
    await Promise.all(handles.map((h) => h.stop().catch(() => undefined)));
  };
  try {
    for (let i = 0; i < opts.count; i++) {
      const res = await opts.api.call('POST', '/services/machines/enrollments', { claims: opts.claims });
      if (res.status !== 201 && res.status !== 200) throw new Error(`enrollment ${i}: ${res.status} ${res.text}`);
      const url = opts.urls[i % opts.urls.length]!;
      const credential = await enroll({ url, token: res.body.token, caPem: opts.ca, agentVersion: AGENT_VERSION });
      const dir = join(opts.dir, `agent-${i}`);
      handles.push(
        await runAgent({
          url,
          token: credential.token,
          caFile,
          workdir: join(dir, 'work'),
          spoolDir: join(dir, 'spool'),
          machine: credential.machine,
          pingIntervalMs: opts.pingIntervalMs ?? 1000,
          killGraceMs: 1000,
          // A replica killed by the campaign comes back within seconds: reconnect like an agent
          // whose backoff has not grown yet (the default cap of 60 s would only slow the campaign).
          reconnect: { baseMs: 250, capMs: 3000 },
        }),
      );
      machines.push(credential.machine);
    }
  } catch (err) {
    await stop();
    throw err;
  }
  return {
    machines,
    runsFile,
    scriptRuns() {
      const runs = new Map<string, number>();
      if (!existsSync(runsFile)) return runs;
      for (const line of readFileSync(runsFile, 'utf8').split('\n')) {
        if (line) runs.set(line, (runs.get(line) ?? 0) + 1);
      }
      return runs;
    },
    stop,
  };
}

/** Simulated agents, spread over the replicas like the real ones; each run counted by execution id. */
async function startSimulatedFleet(opts: FleetOptions): Promise<AgentFleet> {
  const runs = new Map<string, number>();
  const fleets = opts.urls.map(
    (url) =>
      new SimulatedFleet({
        url,
        ca: opts.ca,
        heartbeatMs: opts.pingIntervalMs ?? 1000,
        reconnectBaseMs: 250,
        script: (message) => {
          runs.set(message.executionId, (runs.get(message.executionId) ?? 0) + 1);
          return {};
        },
      }),
  );
  const machines: string[] = [];
  const stop = async () => {
    await Promise.all(fleets.map((f) => f.stop()));
  };
  try {
    for (let i = 0; i < opts.count; i++) {
      const res = await opts.api.call('POST', '/services/machines/enrollments', { claims: opts.claims });
      if (res.status !== 201) throw new Error(`enrollment ${i}: ${res.status} ${res.text}`);
      const [agent] = await fleets[i % fleets.length]!.enroll([res.body.token as string]);
      machines.push(agent!.machine);
    }
    await Promise.all(fleets.map((f) => f.connect()));
  } catch (err) {
    await stop();
    throw err;
  }
  return { machines, runsFile: '', scriptRuns: () => new Map(runs), stop };
}
