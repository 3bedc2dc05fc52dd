/**
 * T10 replicas (issue 13): deploy throughput with 1, 2 and 3 control-plane replicas on one
 * throwaway PostgreSQL cluster, each measured the same way in the same run: T10_DEPLOYS deploys
 * (default 300) of a three-script box on as many registered machines (simulated agents in this
 * process speaking the real protocol, bench/lib/simulated-agents.ts: the control plane is measured,
 * not script processes), all requests at once (20 in flight), from the first request until
 * every workflow has ended; every outcome is then checked by the ledger checker. Prints ONE JSON
 * line: deploys/s for each replica count and the scaling ratio (3 replicas / 1 replica).
 *
 *   node --import tsx bench/t10-replicas.ts
 */
import { runCampaign } from './lib/campaign.js';
import { machineInfo, round } from './lib/ratio.js';

const DEPLOYS = Number(process.env.T10_DEPLOYS ?? 300);
const rates: Record<string, number> = {};
const problems: string[] = [];
for (const replicas of [1, 2, 3]) {
  const result = await runCampaign({
    name: `t10-${replicas}`,
    deploys: DEPLOYS,
    replicas,
    nemesis: async () => ({}),
    agents: 'simulated',
    timeoutMs: 10 * 60_000,
  });
  problems.push(...result.check.problems, ...result.replicaCrashes);
  rates[replicas] = result.check.accepted / result.seconds;
}
process.stdout.write(
  `${JSON.stringify({
    target: 'T10 deploys/s with 1, 2 and 3 replicas on one PostgreSQL',
    unit: 'deploys/s',
    deploys: DEPLOYS,
    replicas1: round(rates[1]!),
    replicas2: round(rates[2]!),
    replicas3: round(rates[3]!),
    scaling: { twoOverOne: round(rates[2]! / rates[1]!), threeOverOne: round(rates[3]! / rates[1]!) },
    problems: problems.length,
    at: new Date().toISOString(),
    machine: machineInfo(),
  })}\n`,
);
