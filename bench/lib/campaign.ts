/**
 * One fault campaign (issue 13, quality.md A4 and F3): three replicas on one throwaway PostgreSQL
 * database, one registered machine (a real in-process agent, agent-fleet.ts) per deploy, a box whose
 * install, configure and start scripts each record their run; `deploys` deploys submitted over
 * `submitMs` while the nemesis injects its faults, every call recorded in the ledger. Once every
 * workflow has ended (or `timeoutMs` passed) the nemesis stops and heals, and the checker judges
 * every accepted request's outcome (ledger-check.ts). Everything started is stopped at the end.
 */
import { join } from 'node:path';
import { readFileSync, existsSync } from 'node:fs';
import { openPostgresStore } from '../../src/server/store/postgres.js';
import type { Db } from '../../src/server/store/db.js';
import { startAgentFleet } from './agent-fleet.js';
import { campaignApi, LostAnswer, type CampaignApi } from './campaign-api.js';
import { checkDeploys, type CheckReport } from './ledger-check.js';
import { Ledger } from './ledger.js';
import { startReplicaCluster, type ReplicaCluster } from './replica-cluster.js';

const SCHEMAS = 'http://elasticbox.net/schemas/';
const DEPLOY_SCHEMA = `${SCHEMAS}deploy-instance-request`;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Injects faults until `signal` aborts, then leaves everything running again; returns what it did. */
export type Nemesis = (cluster: ReplicaCluster, signal: AbortSignal) => Promise<Record<string, number>>;

export interface CampaignOptions {
  name: string;
  deploys: number;
  replicas?: number;
  /** Deploy requests spread evenly over this long (default: all at once, `inFlight` at a time). */
  submitMs?: number;
  inFlight?: number;
  nemesis: Nemesis;
  /** Longest wait for every workflow to end. */
  timeoutMs: number;
  /** Heartbeat interval P of agents and replicas (default 2 s, quality.md's CI value). */
  pingIntervalMs?: number;
  /**
   * Agents and the client know only HAProxy's address (replica-cluster.ts `balancer`), instead of
   * one replica each: they fail over when theirs dies.
   */
  balancer?: boolean;
  /** Real agents running real scripts (default), or simulated ones (agent-fleet.ts). */
  agents?: 'real' | 'simulated';
  log?: (line: string) => void;
}

export interface CampaignResult {
  name: string;
  deploys: number;
  replicas: number;
  seconds: number;
  faults: Record<string, number>;
  requests: Record<string, number>;
  check: CheckReport;
  /** Replicas that died on their own, and error lines the replicas logged. */
  replicaCrashes: string[];
  serverErrors: string[];
}

async function retrying<T>(what: string, fn: () => Promise<T>, deadline: number): Promise<T> {
  for (;;) {
    try {
      return await fn();
    } catch (err) {
      if (Date.now() > deadline) throw new Error(`${what}: ${(err as Error).message}`);
      await sleep(500);
    }
  }
}

async function setup(api: CampaignApi, claims: string[]) {
  const provider = await api.call('POST', '/services/providers', {
    schema: `${SCHEMAS}existing/provider`,
    type: 'Existing Machines',
    name: 'campaign-hosts',
  });
  if (provider.status !== 202) throw new Error(`provider: ${provider.status} ${provider.text}`);
  const policy = await api.call('POST', '/services/boxes', {
    schema: `${SCHEMAS}boxes/policy`,
    name: 'Campaign hosts',
    provider_id: provider.body.id,
    claims,
    profile: { schema: `${SCHEMAS}test/compute/profile`, instances: 1 },
  });
  if (policy.status !== 200) throw new Error(`policy: ${policy.status} ${policy.text}`);
  return policy.body.id as string;
}

async function createBox(api: CampaignApi, runsFile: string): Promise<string> {
  const events: Record<string, unknown> = {};
  for (const event of ['install', 'configure', 'start']) {
    const script = `#!/bin/sh\necho "$ELASTICBOX_EXECUTION_ID" >> '${runsFile}'\necho ${event} ran\n`;
    const up = await api.call('POST', `/services/blobs/upload/${event}`, script, {
      'content-type': 'text/x-shellscript',
    });
    if (up.status !== 200) throw new Error(`upload ${event}: ${up.status} ${up.text}`);
    events[event] = { url: up.body.url, destination_path: 'scripts', content_type: 'text/x-shellscript' };
  }
  const box = await api.call('POST', '/services/boxes', {
    schema: `${SCHEMAS}boxes/script`,
    name: 'Campaign box',
    requirements: ['linux'],
    variables: [],
    events,
  });
  if (box.status !== 200) throw new Error(`box: ${box.status} ${box.text}`);
  return box.body.id as string;
}

/** Submits one deploy until the server accepted it (or refused it for good), recording every call. */
async function submit(api: CampaignApi, db: Db, ledger: Ledger, key: string, body: unknown, deadline: number) {
  for (;;) {
    ledger.invoke('deploy', key);
    try {
      const res = await api.call('POST', '/services/instances', body);
      if (res.status === 202) return ledger.ok('deploy', key, res.body.id as string);
      ledger.fail('deploy', key, `${res.status} ${res.text.slice(0, 200)}`);
      if (res.status < 500 && res.status !== 429) return;
    } catch (err) {
      if (!(err instanceof LostAnswer)) throw err;
      ledger.info('deploy', key, err.message);
      // The answer was lost: look the deploy up by its business key before asking again (NL-2).
      await sleep(1000);
      const found = await retrying(
        `look up ${key}`,
        () => db.selectFrom('instances').select('id').where('name', '=', key).execute(),
        deadline,
      );
      if (found.length) return ledger.ok('deploy', key, found[0]!.id);
    }
    if (Date.now() > deadline) return;
    await sleep(500);
  }
}

const openCount = async (db: Db) =>
  Number(
    (
      await db
        .selectFrom('workflows')
        .select((eb) => eb.fn.countAll<number>().as('n'))
        .where('state', 'in', ['pending', 'running'])
        .executeTakeFirstOrThrow()
    ).n,
  );

function serverErrors(cluster: ReplicaCluster): string[] {
  const lines: string[] = [];
  for (const r of cluster.replicas) {
    const file = join(r.dataDir, 'server.log');
    if (!existsSync(file)) continue;
    for (const line of readFileSync(file, 'utf8').split('\n')) if (line.includes('"level":50')) lines.push(line);
  }
  return lines;
}

export async function runCampaign(opts: CampaignOptions): Promise<CampaignResult> {
  const log = opts.log ?? (() => undefined);
  const replicas = opts.replicas ?? 3;
  const ping = opts.pingIntervalMs ?? 2000;
  const cluster = await startReplicaCluster({
    replicas,
    balancer: opts.balancer,
    env: {
      EBCLI_PING_INTERVAL_MS: String(ping),
      EBCLI_WORKFLOW_POLL_MS: '200',
      EBCLI_WORKFLOW_LEASE_MS: '4000',
      EBCLI_AGENT_CONNECT_TIMEOUT_MS: '120000',
      EBCLI_LEASE_SCHEDULER_MS: '1000',
    },
  });
  const endpoints = () => (cluster.balancerUrl ? [cluster.balancerUrl] : cluster.replicas.map((r) => r.url));
  const api = campaignApi(endpoints, cluster.ca, cluster.adminToken);
  let db: Db | undefined;
  let fleet: Awaited<ReturnType<typeof startAgentFleet>> | undefined;
  const abort = new AbortController();
  let nemesis: Promise<Record<string, number>> | undefined;
  try {
    const claims = ['linux', `campaign-${opts.name}`];
    const policy = await setup(api, claims);
    fleet = await startAgentFleet({
      count: opts.deploys,
      urls: endpoints(),
      ca: cluster.ca,
      claims,
      api,
      dir: join(cluster.root, 'agents'),
      pingIntervalMs: ping,
      kind: opts.agents,
    });
    const box = await createBox(api, fleet.runsFile);
    db = await openPostgresStore(cluster.databaseUrl, { migrate: false, poolSize: 2 });
    const store = db;
    const online = async () =>
      Number(
        (
          await store
            .selectFrom('registered_machines')
            .select((eb) => eb.fn.countAll<number>().as('n'))
            .where('connected', '=', 1)
            .executeTakeFirstOrThrow()
        ).n,
      );
    const ready = Date.now() + 120_000;
    while ((await online()) < opts.deploys) {
      if (Date.now() > ready) throw new Error(`only ${await online()} of ${opts.deploys} machines connected`);
      await sleep(200);
    }
    log(`${opts.name}: ${opts.deploys} machines connected to ${replicas} replicas`);

    const ledger = new Ledger(join(cluster.root, 'ledger.jsonl'));
    const start = Date.now();
    const deadline = start + opts.timeoutMs;
    nemesis = opts.nemesis(cluster, abort.signal);
    const inFlight = opts.inFlight ?? 20;
    let next = 0;
    const spacing = (opts.submitMs ?? 0) / opts.deploys;
    await Promise.all(
      Array.from({ length: inFlight }, async () => {
        for (let i = next++; i < opts.deploys; i = next++) {
          const wait = start + i * spacing - Date.now();
          if (wait > 0) await sleep(wait);
          const key = `${opts.name}-${String(i).padStart(4, '0')}`;
          await submit(
            api,
            store,
            ledger,
            key,
            {
              schema: DEPLOY_SCHEMA,
              name: key,
              box: { id: box },
              automatic_updates: 'off',
              policy_box: { id: policy },
            },
            deadline,
          );
        }
      }),
    );
    log(`${opts.name}: ${JSON.stringify(ledger.counts('deploy'))} after ${Math.round((Date.now() - start) / 1000)} s`);
    // Faults go on until every workflow has ended (or the deadline passed).
    while (Date.now() < deadline) {
      const open = await openCount(store).catch(() => -1);
      if (open === 0) break;
      await sleep(500);
    }
    abort.abort();
    const faults = await nemesis;
    nemesis = undefined;
    // Healed: whatever is still open must end now.
    const quiet = Date.now() + 60_000;
    while ((await retrying('open workflows', () => openCount(store), quiet)) > 0 && Date.now() < quiet)
      await sleep(500);
    const seconds = (Date.now() - start) / 1000;
    const check = await retrying('check', () => checkDeploys(store, ledger, fleet!.scriptRuns()), quiet);
    return {
      name: opts.name,
      deploys: opts.deploys,
      replicas,
      seconds: Math.round(seconds * 10) / 10,
      faults,
      requests: ledger.counts('deploy'),
      check,
      replicaCrashes: [...cluster.crashes],
      serverErrors: serverErrors(cluster),
    };
  } finally {
    abort.abort();
    await nemesis?.catch(() => undefined);
    await fleet?.stop();
    await db?.destroy().catch(() => undefined);
    await api.close().catch(() => undefined);
    await cluster.stop();
  }
}
