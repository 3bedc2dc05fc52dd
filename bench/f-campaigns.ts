/**
 * The fault campaigns of issue 13 at full size, on three replicas over one throwaway PostgreSQL
 * cluster, each judged by the ledger checker (bench/lib/ledger-check.ts). Prints one JSON line per
 * campaign: deploys, faults injected, duration, requests by ledger outcome, what was checked and
 * every problem found (a campaign passes with none).
 *
 *   node --import tsx bench/f-campaigns.ts [kill|postgres|terminate ...]   (default: all three)
 *
 * - kill: SIGKILL one of three replicas every 20 s (started again 1 s later) while 500 deploys run;
 *   agents and client reach the replicas through HAProxy (Debian's /usr/sbin/haproxy).
 * - postgres: PostgreSQL stopped `-m immediate` and started again 2 s later, twice, during 500 deploys.
 * - terminate: `pg_terminate_backend` of every replica connection every 2 s during 500 deploys.
 * F_DEPLOYS resizes them; F_PING_MS sets the heartbeat interval P (default 5 s); F_SUBMIT_S spreads the requests over that many seconds (default 60).
 */
import { runCampaign, type Nemesis } from './lib/campaign.js';
import { killReplicas, restartPostgres, terminateBackends } from './lib/nemeses.js';

const DEPLOYS = Number(process.env.F_DEPLOYS ?? 500);
const SUBMIT_MS = Number(process.env.F_SUBMIT_S ?? 60) * 1000;
const CAMPAIGNS: Record<string, Nemesis> = {
  kill: killReplicas(20_000, 1000),
  postgres: restartPostgres([15_000, 45_000], 2000),
  terminate: terminateBackends(2000),
};

/** Problems counted by kind: ids, names and step numbers taken out, one example of each kind kept. */
function kinds(problems: string[]): Record<string, { count: number; example: string }> {
  const out: Record<string, { count: number; example: string }> = {};
  for (const p of problems) {
    const kind = p
      .replace(/[0-9a-f]{8}-[0-9a-f-]{27}(\.\d+)?/g, '<id>')
      .replace(/\b[a-z]+-\d{4}(-eb-\w+-\d+)?/g, '<name>')
      .replace(/\bi-\w+/g, '<instance>')
      .replace(/\d+/g, 'N');
    out[kind] ??= { count: 0, example: p };
    out[kind].count++;
  }
  return out;
}

const chosen = process.argv.slice(2).length ? process.argv.slice(2) : Object.keys(CAMPAIGNS);
let failed = false;
for (const name of chosen) {
  const nemesis = CAMPAIGNS[name];
  if (!nemesis) throw new Error(`unknown campaign ${name}: one of ${Object.keys(CAMPAIGNS).join(', ')}`);
  const result = await runCampaign({
    name,
    // Agents and the client know HAProxy's address only (the README's setup), so they fail over
    // to a live replica when theirs is killed.
    balancer: name === 'kill',
    // P = 5 s (execution lease 15 s): at 500 deploys on 2 cores, the third of the fleet whose replica
    // was killed takes more than the 6 s of P = 2 s to reconnect through the others, and their
    // running scripts then rightly end agent-lost (F_PING_MS to change).
    pingIntervalMs: Number(process.env.F_PING_MS ?? 5000),
    deploys: DEPLOYS,
    nemesis,
    submitMs: SUBMIT_MS,
    timeoutMs: 20 * 60_000,
    log: (line) => process.stderr.write(`${line}\n`),
  });
  const pass = result.check.problems.length === 0 && result.replicaCrashes.length === 0;
  failed ||= !pass;
  process.stdout.write(
    `${JSON.stringify({
      campaign: name,
      pass,
      at: new Date().toISOString(),
      ...result,
      serverErrors: result.serverErrors.length,
      check: { ...result.check, problems: result.check.problems.length, problemKinds: kinds(result.check.problems) },
    })}\n`,
  );
}
process.exitCode = failed ? 1 : 0;
