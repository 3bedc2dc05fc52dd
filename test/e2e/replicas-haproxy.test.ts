/**
 * Failover behind a load balancer (issue 13): two control-plane processes on one PostgreSQL
 * database behind HAProxy from Debian (TCP mode, TLS passes through; `balance first` sends every
 * new connection to replica A while it is up, so the test knows where things run). A registered
 * machine's agent and the API client know only HAProxy's address. A deploy is accepted by A and
 * its install script is running when A is SIGKILLed: the agent reconnects through HAProxy to B,
 * delivers the script's result there, B takes the workflow over once A's lease has run out and the
 * deploy ends `done`, its script run once; a second deploy and the CLI then work through the same
 * address. The README's HAProxy configuration is the one written here.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Agent, request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { haproxyConfig } from '../../bench/lib/haproxy-config.js';
import { freePort } from '../../src/server/providers/free-port.js';
import { dataFiles } from '../../src/shared/paths.js';
import { ensureBuilt, runCli, tempHome } from '../cli/helpers.js';
import { startStandaloneAgent, until, type StandaloneAgent } from '../helpers/standalone-agent.js';
import { freshPostgresDatabase, stopOwnCluster } from '../helpers/store.js';
import { createBox, deploy, settled, type Api } from './helpers.js';

const SCHEMAS = 'http://elasticbox.net/schemas/';
const HAPROXY = '/usr/sbin/haproxy';
const root = mkdtempSync(join(tmpdir(), 'ebcli-haproxy-'));
const dirs = { a: join(root, 'a'), b: join(root, 'b') };
const home = tempHome();
const pids: Partial<Record<'a' | 'b', number>> = {};
let haproxy: ChildProcess | undefined;
let haproxyLog = '';
let agent: StandaloneAgent | undefined;
let env: Record<string, string>;
let lb: Api & { url: string };

/** API calls through HAProxy, one connection each (a kept-alive one would die with its replica). */
function api(url: string, ca: string, token: string): Api & { url: string } {
  const dispatcher = new Agent({ connect: { ca } });
  return {
    url,
    async call(method, path, opts = {}) {
      const headers: Record<string, string> = { 'elasticbox-token': token, ...opts.headers };
      let body: string | undefined;
      if (opts.body !== undefined) {
        body = JSON.stringify(opts.body);
        headers['content-type'] ??= 'application/json';
      } else if (typeof opts.raw === 'string') body = opts.raw;
      // Like the CLI's client (src/client/http.ts), a GET is retried after a connection error: a
      // connection HAProxy had just handed to the replica being killed is reset, not redispatched.
      const send = () => request(`${url}${path}`, { method: method as 'GET', headers, body, dispatcher, reset: true });
      let res;
      for (let attempt = 0; ; attempt++) {
        try {
          res = await send();
          break;
        } catch (err) {
          if (method !== 'GET' || attempt >= 2) throw new Error(`${method} ${path}: ${(err as Error).message}`);
          await new Promise((r) => setTimeout(r, 500));
        }
      }
      const text = await res.body.text();
      const json = String(res.headers['content-type'] ?? '').includes('json') && text ? JSON.parse(text) : text;
      return { status: res.statusCode, headers: res.headers, body: json, text } as never;
    },
  };
}

async function startReplica(name: 'a' | 'b'): Promise<number> {
  const started = await runCli(['server', 'start', '--data-dir', dirs[name], '--json'], { env, timeoutMs: 60_000 });
  expect(started.code, started.stderr).toBe(0);
  pids[name] = started.json().pid as number;
  return Number(new URL(started.json().url as string).port);
}

beforeAll(async () => {
  ensureBuilt();
  if (!existsSync(HAPROXY)) throw new Error(`${HAPROXY} is missing: apt-get install haproxy (.ci/run does)`);
  env = {
    ...home.env,
    EBCLI_DATABASE_URL: await freshPostgresDatabase(),
    EBCLI_PING_INTERVAL_MS: '1000',
    EBCLI_WORKFLOW_POLL_MS: '200',
    EBCLI_WORKFLOW_LEASE_MS: '4000',
    EBCLI_LEASE_SCHEDULER_MS: '250',
  };
  const portA = await startReplica('a');
  // Replica B shares A's CA (a team copies it to every replica), so agents trust both alike.
  mkdirSync(join(dirs.b, 'tls'), { recursive: true });
  for (const f of ['caCert', 'caKey'] as const) copyFileSync(dataFiles(dirs.a)[f], dataFiles(dirs.b)[f]);
  const portB = await startReplica('b');
  const listen = await freePort();
  writeFileSync(join(root, 'haproxy.cfg'), haproxyConfig(listen, [portA, portB], { balance: 'first', log: true }));
  haproxy = spawn(HAPROXY, ['-f', join(root, 'haproxy.cfg'), '-db'], { stdio: ['ignore', 'ignore', 'pipe'] });
  haproxy.stderr!.on('data', (d) => (haproxyLog += d));
  const ca = readFileSync(dataFiles(dirs.a).caCert, 'utf8');
  lb = api(`https://127.0.0.1:${listen}`, ca, readFileSync(dataFiles(dirs.a).adminToken, 'utf8').trim());
  await until(async () => (await lb.call('GET', '/services/health').catch(() => undefined))?.status === 200, 'HAProxy');
}, 120_000);

afterAll(async () => {
  await agent?.stop();
  haproxy?.kill('SIGKILL');
  for (const pid of Object.values(pids)) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // gone already
    }
  }
  home.cleanup();
  rmSync(root, { recursive: true, force: true });
  stopOwnCluster();
});

describe('replicas behind HAProxy', () => {
  it('a deploy survives the SIGKILL of its replica mid-script; agents and clients fail over', async () => {
    const enrollment = (await lb.call('POST', '/services/machines/enrollments', { body: { claims: ['linux', 'lb'] } }))
      .body;
    agent = startStandaloneAgent(
      { url: lb.url, ca_file: 'ca.pem' },
      { 'ca.pem': readFileSync(dataFiles(dirs.a).caCert, 'utf8'), enrollment: `${enrollment.token}\n` },
    );
    await until(async () => {
      const list = (await lb.call('GET', '/services/machines')).body as any[];
      return list.find((m) => m.state === 'online' && m.claims.includes('lb'));
    }, `the machine online through HAProxy\n${agent.log()}`);
    const provider = await lb.call('POST', '/services/providers', {
      body: { schema: `${SCHEMAS}existing/provider`, type: 'Existing Machines', name: 'behind-lb' },
    });
    expect(provider.status, provider.text).toBe(202);
    const policy = await lb.call('POST', '/services/boxes', {
      body: {
        schema: `${SCHEMAS}boxes/policy`,
        name: 'Hosts behind HAProxy',
        provider_id: provider.body.id,
        claims: ['linux', 'lb'],
        profile: { schema: `${SCHEMAS}test/compute/profile`, instances: 1 },
      },
    });
    expect(policy.status, policy.text).toBe(200);
    const box = await createBox(lb, {
      name: 'Slow Install',
      events: {
        install: `#!/bin/sh\necho install-began\nsleep 4\necho install-ran >> '${join(agent.dir, 'installs')}'\n`,
      },
    });

    const first = await deploy(lb, box.id, 'survives-failover', { policy_box: { id: policy.body.id } });
    expect(first.status, first.text).toBe(202);
    // The install script is running (on the agent, dispatched by replica A): kill A now.
    await until(async () => {
      const page = await lb.call('GET', '/services/events?workspace=admin&since=0&type=script.output&limit=1000');
      return (page.body.events as any[]).some((e) => e.instance === first.body.id) ? true : undefined;
    }, 'the install script started');
    process.kill(pids.a!, 'SIGKILL');
    delete pids.a;

    const done = await settled(lb, first.body.id, undefined, 90_000).catch((err: Error) => {
      throw new Error(`${err.message}\nHAProxy:\n${haproxyLog.slice(-2000)}\nagent:\n${agent!.log().slice(-2000)}`);
    });
    expect(done.state, JSON.stringify(done.operation)).toBe('done');
    // Run once: the script appended one line to a file outside the instance folder.
    expect(readFileSync(join(agent.dir, 'installs'), 'utf8')).toBe('install-ran\n');

    // The CLI through the same address, now served by B alone.
    const cliEnv = {
      ...home.env,
      EBCLI_URL: lb.url,
      EBCLI_TOKEN: readFileSync(dataFiles(dirs.a).adminToken, 'utf8').trim(),
      EBCLI_CA_FILE: dataFiles(dirs.a).caCert,
    };
    const shown = await runCli(['instances', 'show', first.body.id, '--json'], { env: cliEnv });
    expect(shown.code, shown.stderr).toBe(0);
    expect(shown.json().instance).toMatchObject({ id: first.body.id, state: 'done' });
    const gone = await runCli(['instances', 'terminate', first.body.id, '--yes', '--timeout', '60s', '--json'], {
      env: cliEnv,
      timeoutMs: 90_000,
    });
    expect(gone.code, gone.stderr).toBe(0);
    const second = await deploy(lb, box.id, 'after-failover', { policy_box: { id: policy.body.id } });
    expect(second.status, second.text).toBe(202);
    expect((await settled(lb, second.body.id, undefined, 90_000)).state).toBe('done');
    expect(readFileSync(join(agent.dir, 'installs'), 'utf8')).toBe('install-ran\ninstall-ran\n');
    const last = await runCli(['instances', 'terminate', second.body.id, '--yes', '--timeout', '60s'], {
      env: cliEnv,
      timeoutMs: 90_000,
    });
    expect(last.code, last.stderr).toBe(0);
  }, 240_000);
});
