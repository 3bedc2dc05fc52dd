/**
 * The fault campaigns of issue 13, scaled down for CI (bench/f-campaigns.ts runs them at full size):
 * three replicas on one throwaway PostgreSQL cluster, one real in-process agent per deploy, every
 * deploy request recorded in a ledger and every accepted one's outcome checked afterwards
 * (bench/lib/ledger-check.ts: every workflow ended `done` with one `ok` result per step, every
 * script stored `success` and ran exactly once on its agent, no lost or duplicate instance).
 * Each campaign starts and removes its own cluster and processes.
 */
import { describe, expect, it } from 'vitest';
import { runCampaign, type CampaignResult, type Nemesis } from '../../bench/lib/campaign.js';
import { killReplicas, restartPostgres, terminateBackends } from '../../bench/lib/nemeses.js';

const DEPLOYS = 12;

async function campaign(name: string, nemesis: Nemesis, balancer = false): Promise<CampaignResult> {
  const result = await runCampaign({ name, deploys: DEPLOYS, nemesis, submitMs: 6000, timeoutMs: 90_000, balancer });
  const problems = [...result.replicaCrashes, ...result.check.problems];
  expect(problems, JSON.stringify(result.faults)).toEqual([]);
  // Every deploy was accepted in the end (retried after a refusal or a lost answer), and checked.
  expect(result.check.accepted).toBe(DEPLOYS);
  expect(result.check.workflows).toBe(DEPLOYS);
  expect(result.check.executions).toBe(DEPLOYS * 3);
  expect(result.check.scriptRuns).toBe(DEPLOYS * 3);
  return result;
}

describe('fault campaigns on three replicas over one PostgreSQL', () => {
  it('SIGKILL of one replica after another while deploys run', async () => {
    // Agents and the client know HAProxy's address only (the README's setup): they fail over.
    const result = await campaign('kill', killReplicas(2000, 300), true);
    expect(result.faults.kills).toBeGreaterThanOrEqual(1);
  }, 240_000);

  it('PostgreSQL stopped -m immediate and started again, twice, while deploys run', async () => {
    const result = await campaign('postgres', restartPostgres([1500, 4000], 800));
    expect(result.faults.postgresRestarts).toBe(2);
  }, 240_000);

  it('pg_terminate_backend of every replica connection, again and again, while deploys run', async () => {
    const result = await campaign('terminate', terminateBackends(1000));
    expect(result.faults.backendsTerminated).toBeGreaterThan(0);
  }, 240_000);
});
