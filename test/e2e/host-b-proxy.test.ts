/**
 * Host B (issue 11): a network namespace joined to the test by a veth pair, whose nftables output
 * policy drops every packet except those to the CONNECT proxy. A machine registered there with the
 * one-liner enrolls and comes online through the proxy and deploys the Hello Web example there; a
 * direct connection to the control plane from host B is dropped. The proxy is test-only (test/helpers/connect-proxy.ts). Needs root (CI
 * runs as root), iproute2 and nftables (.ci/run installs them); the namespace, and with it the
 * veth pair and the nft table, is deleted in teardown even when the test fails.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { startConnectProxy, type ConnectProxy } from '../helpers/connect-proxy.js';
import { createTestHost, run, type TestHost } from '../helpers/netns.js';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { until } from '../helpers/standalone-agent.js';
import { processAlive } from '../../src/shared/process.js';
import { dataFiles } from '../../src/shared/paths.js';
import { deploy, importExample, settled } from './helpers.js';

const SCHEMAS = 'http://elasticbox.net/schemas/';

const isRoot = process.getuid?.() === 0;
if (process.env.CI && !isRoot) throw new Error('host-b-proxy.test.ts needs root in CI');

let hostB: TestHost | undefined;
let t: TestServer | undefined;
let proxy: ConnectProxy | undefined;
let supervisor: number | undefined;
const dirs: string[] = [];

afterAll(async () => {
  if (supervisor) {
    try {
      process.kill(-supervisor, 'SIGTERM');
    } catch {
      // gone
    }
    const pid = supervisor;
    await until(() => !processAlive(pid), 'the agent supervisor to stop', 10_000).catch(() => {
      try {
        process.kill(-pid, 'SIGKILL');
      } catch {
        // gone
      }
    });
  }
  // Deleting the namespace removes its end of the veth pair (and so the pair) and its nft table.
  hostB?.remove();
  await proxy?.close();
  await t?.stop();
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

describe.runIf(isRoot)('host B: only a CONNECT proxy reaches the control plane', () => {
  it('a machine registered with the one-liner enrolls through the proxy and deploys an example; direct is dropped', async () => {
    // A random /30 of 10.233.0.0/16 (private); host A (host-a-ssh.test.ts) uses 10.234.0.0/16.
    hostB = createTestHost('b', 233);
    const { ns: NS, hostIp: HOST_IP, nsIp: B_IP } = hostB;
    const inB = hostB.exec;

    t = await startTestServer(undefined, { host: HOST_IP });
    proxy = await startConnectProxy({ host: HOST_IP, user: 'hostb', password: 'pr0xy-secret' });
    const rules = join(mkdtempSync(join(tmpdir(), 'ebcli-nft-')), 'rules.nft');
    dirs.push(join(rules, '..'));
    writeFileSync(
      rules,
      `table inet ebcli_host_b {
  chain output {
    type filter hook output priority 0; policy drop;
    oif "lo" accept
    ip daddr ${HOST_IP} tcp dport ${proxy.port} accept
  }
}
`,
    );
    run('ip', ['netns', 'exec', NS, 'nft', '-f', rules]);

    const caFile = dataFiles(t.dataDir).caCert;
    const env = { PATH: process.env.PATH ?? '/usr/bin:/bin' };
    const health = `curl -sS --max-time 3 --cacert ${caFile} ${t.url}/services/health`;
    const direct = await inB(health, env);
    expect(direct.code, direct.stderr).not.toBe(0);
    const proxied = await inB(health, { ...env, HTTPS_PROXY: proxy.url });
    expect(proxied.code, proxied.stderr).toBe(0);
    expect(JSON.parse(proxied.stdout).status).toBe('ok');

    const enrollment = (await t.call('POST', '/services/machines/enrollments', { body: { claims: ['linux'] } })).body;
    const home = mkdtempSync(join(tmpdir(), 'ebcli-host-b-'));
    dirs.push(home);
    const installed = await inB(enrollment.user_command, {
      ...env,
      HOME: home,
      EBCLI_AGENT_MODE: 'user',
      HTTPS_PROXY: proxy.url,
    });
    expect(installed.code, installed.stderr).toBe(0);
    supervisor = Number(readFileSync(join(home, '.ebcli-agent', 'state', 'agent.pid'), 'utf8'));
    const server = t;
    const online = await until(
      async () => {
        const list = (await server.call('GET', '/services/machines')).body as any[];
        return list.find((m) => m.state === 'online');
      },
      'the machine on host B online',
      45_000,
    );
    // Seen from the control plane, the machine came from the proxy, not from host B's address.
    expect(online.address).toContain(HOST_IP);
    expect(online.address).not.toContain(B_IP);
    const target = `${HOST_IP}:${new URL(t.url).port}`;
    expect(proxy.tunnels.filter((x) => x === target).length).toBeGreaterThanOrEqual(4);
    const log = readFileSync(join(home, '.ebcli-agent', 'agent.log'), 'utf8');
    expect(log).toContain('"agent connected"');
    expect(log).not.toContain('pr0xy-secret');

    // An example box deployed there (Existing Machines provider), its scripts run on host B.
    const provider = await t.call('POST', '/services/providers', {
      body: { schema: `${SCHEMAS}existing/provider`, type: 'Existing Machines', name: 'host b' },
    });
    const policy = await t.call('POST', '/services/boxes', {
      body: {
        schema: `${SCHEMAS}boxes/policy`,
        name: 'Host B',
        provider_id: provider.body.id,
        claims: ['linux'],
        profile: { schema: `${SCHEMAS}test/compute/profile`, instances: 1 },
      },
    });
    const box = await importExample(t, 'Hello Web', new Map());
    const res = await deploy(t, box.id, 'on-host-b', { policy_box: { id: policy.body.id } });
    expect(res.status, res.text).toBe(202);
    const done = await settled(t, res.body.id, undefined, 90_000);
    expect(done.state, JSON.stringify(done.operation)).toBe('done');
    const page = join(home, '.ebcli-agent', 'work', res.body.id, 'www', 'index.html');
    expect(readFileSync(page, 'utf8')).toContain('Hello from ebcli');
    const before = (await t.call('GET', `/services/instances/${res.body.id}`)).body.updated;
    expect((await t.call('DELETE', `/services/instances/${res.body.id}`)).status).toBe(202);
    expect((await settled(t, res.body.id, before, 60_000)).state).toBe('done');
    await until(async () => {
      const list = (await server.call('GET', '/services/machines')).body as any[];
      return list.every((m) => m.instance === null);
    }, 'the host B machine freed');
  }, 150_000);
});
