/**
 * Fault-campaign harness (issue 13, quality.md A4 item 4): a throwaway PostgreSQL cluster and
 * several control-plane replica processes on one database of it, plus the nemesis operations the
 * campaigns use: SIGKILL a replica and start it again on its port (what a supervisor does), stop
 * PostgreSQL with `-m immediate` and start it again, `pg_terminate_backend` every connection of the
 * replicas. `stop()` kills every process it started and removes every directory, also after a
 * failure.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { freePort } from '../../src/server/providers/free-port.js';
import { dataFiles } from '../../src/shared/paths.js';
import { haproxyConfig } from './haproxy-config.js';
import { startTestCluster, type TestCluster } from '../../test/helpers/postgres-cluster.js';

const ENTRY = fileURLToPath(new URL('./replica-process.ts', import.meta.url));
const ROOT = fileURLToPath(new URL('../..', import.meta.url));

export interface Replica {
  index: number;
  dataDir: string;
  port: number;
  url: string;
  child: ChildProcess | undefined;
  /** Set while the campaign kills it on purpose. */
  killing?: boolean;
}

export interface ReplicaCluster {
  root: string;
  pg: TestCluster;
  databaseUrl: string;
  replicas: Replica[];
  /** The CA every replica's certificate chains to (replicas share it). */
  ca: string;
  adminToken: string;
  /** HAProxy's address, when asked for (`balancer`). */
  balancerUrl?: string;
  /** Replicas that exited without being killed (a replica must survive database faults by itself). */
  crashes: string[];
  /** SIGKILLs replica `i` (and waits until it is gone). */
  kill(i: number): Promise<void>;
  /** Starts replica `i` again on its port. */
  restart(i: number): Promise<void>;
  /** `pg_ctl stop -m immediate`, then, after `downMs`, start again. */
  restartPostgres(downMs: number): Promise<void>;
  /** Terminates every backend of the replicas (pool connections and LISTEN connections); returns how many. */
  terminateBackends(): Promise<number>;
  stop(): Promise<void>;
}

export interface ClusterOptions {
  replicas: number;
  /**
   * Put HAProxy from Debian (/usr/sbin/haproxy, TCP mode, round robin, health checks every 300 ms)
   * in front of the replicas, as the README's configuration does: agents and clients given its
   * address fail over to a live replica when theirs dies.
   */
  balancer?: boolean;
  /** EBCLI_* timings given to every replica. */
  env?: Record<string, string>;
}

const HAPROXY = '/usr/sbin/haproxy';

async function waitForPort(port: number): Promise<void> {
  for (let i = 0; i < 100; i++) {
    const up = await new Promise<boolean>((resolve) => {
      const c = connect(port, '127.0.0.1', () => {
        c.destroy();
        resolve(true);
      });
      c.once('error', () => resolve(false));
    });
    if (up) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`HAProxy did not listen on ${port}`);
}

const exited = (child: ChildProcess) =>
  child.exitCode !== null || child.signalCode !== null
    ? Promise.resolve()
    : new Promise<void>((r) => child.once('exit', () => r()));

export async function startReplicaCluster(opts: ClusterOptions): Promise<ReplicaCluster> {
  const root = mkdtempSync(join(tmpdir(), 'ebcli-faults-'));
  const cluster = startTestCluster({ crashed: true });
  const replicas: Replica[] = [];
  const crashes: string[] = [];
  let stopping = false;
  const spawnReplica = (r: Replica, databaseUrl: string) =>
    new Promise<void>((resolve, reject) => {
      const child = spawn(process.execPath, ['--import', 'tsx', ENTRY, r.dataDir, String(r.port)], {
        cwd: ROOT,
        env: { ...process.env, ...opts.env, EBCLI_DATABASE_URL: databaseUrl },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      r.child = child;
      r.killing = false;
      let out = '';
      let err = '';
      child.stderr!.on('data', (d) => (err = (err + d).slice(-4000)));
      child.stdout!.on('data', (d) => {
        out += d;
        const line = out.split('\n')[0];
        if (out.includes('\n') && line) {
          const started = JSON.parse(line) as { url: string; port: number };
          r.port = started.port;
          r.url = started.url;
          resolve();
        }
      });
      child.once('exit', (code, signal) => {
        if (!r.killing && !stopping) crashes.push(`replica ${r.index} exited (${code ?? signal}): ${err}`);
        reject(new Error(`replica ${r.index} exited (${code ?? signal}): ${err}`));
      });
    });
  let databaseUrl = '';
  let haproxy: ChildProcess | undefined;
  let balancerUrl: string | undefined;
  const stop = async () => {
    stopping = true;
    if (haproxy && haproxy.exitCode === null && haproxy.signalCode === null) {
      haproxy.kill('SIGKILL');
      await exited(haproxy);
    }
    for (const r of replicas) {
      if (r.child && r.child.exitCode === null && r.child.signalCode === null) {
        r.child.kill('SIGKILL');
        await exited(r.child);
      }
    }
    cluster.stop();
    rmSync(root, { recursive: true, force: true });
  };
  try {
    const admin = new pg.Client({ connectionString: cluster.adminUrl });
    await admin.connect();
    await admin.query('create database faults');
    await admin.end();
    databaseUrl = cluster.urlOf('faults');
    for (let i = 0; i < opts.replicas; i++) {
      const r: Replica = { index: i, dataDir: join(root, `replica-${i}`), port: 0, url: '', child: undefined };
      mkdirSync(r.dataDir, { recursive: true });
      if (i > 0) {
        // Replicas share the first one's CA (a team copies it to each): agents trust every replica alike.
        mkdirSync(join(r.dataDir, 'tls'), { recursive: true });
        for (const f of ['caCert', 'caKey'] as const)
          copyFileSync(dataFiles(replicas[0]!.dataDir)[f], dataFiles(r.dataDir)[f]);
      }
      replicas.push(r);
      await spawnReplica(r, databaseUrl);
    }
    if (opts.balancer) {
      const listen = await freePort();
      const config = join(root, 'haproxy.cfg');
      writeFileSync(
        config,
        haproxyConfig(
          listen,
          replicas.map((r) => r.port),
          { balance: 'roundrobin' },
        ),
      );
      haproxy = spawn(HAPROXY, ['-f', config, '-db'], { stdio: ['ignore', 'ignore', 'ignore'] });
      balancerUrl = `https://127.0.0.1:${listen}`;
      await waitForPort(listen);
    }
  } catch (err) {
    await stop();
    throw err;
  }
  const first = dataFiles(replicas[0]!.dataDir);
  return {
    root,
    pg: cluster,
    databaseUrl,
    replicas,
    ca: readFileSync(first.caCert, 'utf8'),
    adminToken: readFileSync(first.adminToken, 'utf8').trim(),
    crashes,
    balancerUrl,
    async kill(i) {
      const child = replicas[i]?.child;
      if (!child) return;
      replicas[i]!.killing = true;
      child.kill('SIGKILL');
      await exited(child);
    },
    async restart(i) {
      await spawnReplica(replicas[i]!, databaseUrl);
    },
    async restartPostgres(downMs) {
      cluster.crash();
      await new Promise((r) => setTimeout(r, downMs));
      cluster.start();
    },
    async terminateBackends() {
      const admin = new pg.Client({ connectionString: cluster.adminUrl, application_name: 'nemesis' });
      await admin.connect();
      try {
        const res = await admin.query(
          `select count(*)::int as n from (select pg_terminate_backend(pid) from pg_stat_activity
             where datname = 'faults' and pid <> pg_backend_pid() and application_name like 'ebcli%') t`,
        );
        return (res.rows[0] as { n: number }).n;
      } finally {
        await admin.end();
      }
    },
    stop,
  };
}
