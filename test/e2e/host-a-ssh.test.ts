/**
 * Host A (issue 11): a network namespace running Debian's real sshd (test/helpers/sshd-host.ts).
 * An `SSH` provider deploys the Hello Web example there: provisioning connects with ssh2, checks
 * the host key, runs the bootstrap with a fresh enrollment token and the agent calls back over the
 * veth pair to the control plane (bound to the host's end of it); the page answers on host A;
 * terminate runs the dispose scripts and removes the agent, leaving host A clean. A wrong host
 * key is refused with a clear error before anything runs there. Needs root (CI runs as root),
 * iproute2 and openssh-server (.ci/run installs them); everything is removed in teardown.
 */
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli, serverEnv, tempHome } from '../cli/helpers.js';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { startSshdHost, type SshdHost } from '../helpers/sshd-host.js';
import { until } from '../helpers/standalone-agent.js';
import { awaitEnrollment, removeAgentOverSsh } from '../../src/server/machines/ssh/agent-over-ssh.js';
import { HostKeyRefused, sshRun } from '../../src/server/machines/ssh/session.js';
import { dataFiles } from '../../src/shared/paths.js';
import { activityTexts, deploy, importExample, settled } from './helpers.js';

const SCHEMAS = 'http://elasticbox.net/schemas/';

const isRoot = process.getuid?.() === 0;
if (process.env.CI && !isRoot) throw new Error('host-a-ssh.test.ts needs root in CI');

let a: SshdHost | undefined;
let t: TestServer | undefined;
let helloWeb: { id: string } | undefined;
const helloWebBox = async (server: TestServer) => (helloWeb ??= await importExample(server, 'Hello Web', new Map()));

beforeAll(async () => {
  if (!isRoot) return;
  a = await startSshdHost();
  // Bound to the test's end of the veth pair: host A reaches the control plane there.
  t = await startTestServer(undefined, { host: a.host.hostIp });
}, 120_000);

afterAll(async () => {
  await t?.stop();
  await a?.stop();
}, 60_000);

async function sshPolicy(server: TestServer, name: string, fields: Record<string, unknown>) {
  const host = a!;
  const provider = await server.call('POST', '/services/providers', {
    body: {
      schema: `${SCHEMAS}ssh/provider`,
      type: 'SSH',
      name,
      hosts: [host.target],
      username: host.user,
      private_key: host.privateKey,
      ...fields,
    },
  });
  expect(provider.status, provider.text).toBe(202);
  const policy = await server.call('POST', '/services/boxes', {
    body: {
      schema: `${SCHEMAS}boxes/policy`,
      name: `${name} policy`,
      provider_id: provider.body.id,
      claims: ['linux'],
      profile: { schema: `${SCHEMAS}test/compute/profile`, instances: 1 },
    },
  });
  return { provider: provider.body, policy: policy.body };
}

describe.runIf(isRoot)('host A: the SSH provider installs the agent over ssh', () => {
  it('refuses a host key that is not the expected one, and learns it only with trust_on_first_use', async () => {
    const host = a!;
    const [name, port] = host.target.split(':');
    const target = { host: name!, port: Number(port), username: host.user, privateKey: host.privateKey };
    const wrong = 'SHA256:' + 'A'.repeat(43);
    await expect(
      sshRun({ ...target, fingerprints: [wrong], trustOnFirstUse: true }, 'true', { timeoutMs: 20_000 }),
    ).rejects.toThrow(HostKeyRefused);
    await expect(
      sshRun({ ...target, fingerprints: [], trustOnFirstUse: false }, 'true', { timeoutMs: 20_000 }),
    ).rejects.toThrow(`the host key of ${host.target} (${host.fingerprint}) is not among the expected fingerprints`);
    const ok = await sshRun({ ...target, fingerprints: [], trustOnFirstUse: true }, 'id -un', { timeoutMs: 20_000 });
    expect(ok.stdout.trim()).toBe(host.user);
    expect(ok.fingerprint).toBe(host.fingerprint);

    // Through a deploy: the provisioning step fails with that message, and nothing was installed.
    const server = t!;
    const { policy } = await sshPolicy(server, 'wrong key', { fingerprints: { [host.target]: wrong } });
    const box = await helloWebBox(server);
    const res = await deploy(server, box.id, 'wrong-key', { policy_box: { id: policy.id } });
    expect(res.status, res.text).toBe(202);
    const done = await settled(server, res.body.id, undefined, 60_000);
    expect(done.state).not.toBe('done');
    const texts = (await activityTexts(server, res.body.id)).join('\n');
    expect(texts).toContain(`(${host.fingerprint}) is not among the expected fingerprints`);
    expect(existsSync(join(host.home, '.ebcli-agent'))).toBe(false);
    const before = (await server.call('GET', `/services/instances/${res.body.id}`)).body.updated;
    expect((await server.call('DELETE', `/services/instances/${res.body.id}`)).status).toBe(202);
    expect((await settled(server, res.body.id, before, 60_000)).state).toBe('done');

    // An agent that does not enroll: the error quotes the end of its log on the host.
    const known = { ...target, fingerprints: [host.fingerprint], trustOnFirstUse: false };
    const line = '{"level":"warn","message":"enrollment failed, retrying","error":"cannot reach the control plane"}';
    await sshRun(known, `mkdir -p ~/.ebcli-agent && echo '${line}' > ~/.ebcli-agent/agent.log`, { timeoutMs: 20_000 });
    await expect(
      awaitEnrollment(known, { sudo: false, timeoutMs: 300, enrolled: async () => undefined }),
    ).rejects.toThrow(`did not enroll within 0 s; the end of its log:\n${line}`);
    await sshRun(known, 'rm -rf ~/.ebcli-agent', { timeoutMs: 20_000 });
  }, 180_000);

  it('deploys Hello Web on host A; terminate runs dispose and leaves host A clean', async () => {
    const host = a!;
    const server = t!;
    // Trust on first use: the key host A shows at provisioning is the one terminate must see.
    const { provider, policy } = await sshPolicy(server, 'host a', { trust_on_first_use: true, sudo: false });
    expect(provider.state).toBe('ready');
    expect(JSON.stringify(provider)).not.toContain('PRIVATE KEY');

    const box = await helloWebBox(server);
    const res = await deploy(server, box.id, 'on-host-a', { policy_box: { id: policy.id } });
    expect(res.status, res.text).toBe(202);
    const done = await settled(server, res.body.id, undefined, 120_000);
    expect(done.state, JSON.stringify(done.operation)).toBe('done');

    const learned = (await server.call('GET', `/services/providers/${provider.id}`)).body;
    expect(learned.fingerprints).toEqual({ [host.target]: host.fingerprint });

    // The machine enrolled from host A's address and serves the deploy.
    const machines = (await server.call('GET', '/services/machines')).body as any[];
    const machine = machines.find((m) => m.instance === res.body.id);
    expect(machine?.state).toBe('online');
    expect(machine.address).toContain(host.host.nsIp);
    const service = (await server.call('GET', `/services/instances/${res.body.id}/service`)).body;
    expect(JSON.stringify(service.machines)).toContain(host.host.nsIp);

    // The page answers on host A (the example binds host A's loopback).
    const port = (done.variables as any[]).find((v) => v.name === 'HTTP_PORT').value;
    const page = await host.host.exec(`curl -sS --max-time 5 http://127.0.0.1:${port}/`, { PATH: '/usr/bin:/bin' });
    expect(page.stdout, page.stderr).toContain('Hello from ebcli');
    const installed = join(host.home, '.ebcli-agent', 'work', res.body.id, 'www', 'index.html');
    expect(existsSync(installed)).toBe(true);
    expect(host.userProcesses().length).toBeGreaterThan(0);

    // Neither the key nor the enrollment token is in an event, or in any process's arguments.
    const keyBody = host.privateKey.split('\n')[1]!;
    const events = (await server.call('GET', '/services/events?limit=10000')).text;
    expect(events).not.toContain(keyBody);
    const serverLog = dataFiles(server.dataDir).logFile;
    if (existsSync(serverLog)) expect(readFileSync(serverLog, 'utf8')).not.toContain(keyBody);
    const agentLog = readFileSync(join(host.home, '.ebcli-agent', 'agent.log'), 'utf8');
    expect(agentLog).toContain('"agent connected"');
    for (const pid of readdirSync('/proc').filter((p) => /^\d+$/.test(p))) {
      let cmd = '';
      try {
        cmd = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
      } catch {
        continue;
      }
      expect(cmd).not.toContain(keyBody);
      expect(cmd).not.toContain('EBCLI_ENROLL_TOKEN=');
    }

    // Host A serves one machine at a time: a second deploy is refused, saying why.
    const second = await deploy(server, box.id, 'second-on-host-a', { policy_box: { id: policy.id } });
    const refused = await settled(server, second.body.id, undefined, 60_000);
    expect(refused.state).not.toBe('done');
    expect((await activityTexts(server, second.body.id)).join('\n')).toContain('serves a machine already');
    const pending = refused.updated;
    expect((await server.call('DELETE', `/services/instances/${second.body.id}`)).status).toBe(202);
    expect((await settled(server, second.body.id, pending, 60_000)).state).toBe('done');

    const before = (await server.call('GET', `/services/instances/${res.body.id}`)).body.updated;
    expect((await server.call('DELETE', `/services/instances/${res.body.id}`)).status).toBe(202);
    const ended = await settled(server, res.body.id, before, 90_000);
    expect(ended.state, JSON.stringify(ended.operation)).toBe('done');
    const texts = (await activityTexts(server, res.body.id)).join('\n');
    expect(texts).toContain('dispose');

    // Host A is clean: no agent (nor page server) running, no install folder, the machine forgotten.
    await until(() => host.userProcesses().length === 0, 'every process of the test user on host A to end', 20_000);
    expect(existsSync(join(host.home, '.ebcli-agent'))).toBe(false);
    expect(readdirSync(host.home)).toEqual([]);
    const after = (await server.call('GET', '/services/machines')).body as any[];
    expect(after.find((m) => m.id === machine.id)).toBeUndefined();
    const gone = await host.host.exec(`curl -sS --max-time 3 http://127.0.0.1:${port}/`, { PATH: '/usr/bin:/bin' });
    expect(gone.code).not.toBe(0);
  }, 240_000);

  it('machines register --ssh registers host A (register-instance-request); it serves an Existing Machines deploy', async () => {
    const host = a!;
    const server = t!;
    const home = tempHome();
    const keyDir = mkdtempSync(join(tmpdir(), 'ebcli-ssh-key-'));
    try {
      const keyFile = join(keyDir, 'id_ed25519');
      writeFileSync(keyFile, host.privateKey, { mode: 0o600 });
      const env = { ...home.env, ...serverEnv(server) };
      const ssh = `${host.user}@${host.target}`;
      const wrong = await runCli(
        ['machines', 'register', '--ssh', ssh, '--key', keyFile, '--host-fingerprint', `SHA256:${'C'.repeat(43)}`],
        { env, timeoutMs: 60_000 },
      );
      expect(wrong.code).not.toBe(0);
      expect(wrong.stderr).toContain(`(${host.fingerprint}) is not among the expected fingerprints`);
      expect(existsSync(join(host.home, '.ebcli-agent'))).toBe(false);

      const args = ['machines', 'register', '--ssh', ssh, '--key', keyFile, '--host-fingerprint', host.fingerprint];
      const r = await runCli([...args, '--claims', 'linux,host-a', '--json'], { env, timeoutMs: 120_000 });
      expect(r.code, r.stderr).toBe(0);
      const machine = r.json();
      expect(machine).toMatchObject({ claims: ['linux', 'host-a'], instance: null });
      expect(machine.id).toMatch(/^rm-/);
      const m = server;
      await until(
        async () => (await m.call('GET', `/services/machines/${machine.id}`)).body.state === 'online',
        'the machine registered over ssh online',
        45_000,
      );
      expect(r.stdout + r.stderr).not.toContain('PRIVATE KEY');

      // The pool serves a deploy that asks for its claims (Existing Machines provider).
      const provider = await server.call('POST', '/services/providers', {
        body: { schema: `${SCHEMAS}existing/provider`, type: 'Existing Machines', name: 'pool' },
      });
      const policy = await server.call('POST', '/services/boxes', {
        body: {
          schema: `${SCHEMAS}boxes/policy`,
          name: 'Host A pool',
          provider_id: provider.body.id,
          claims: ['host-a'],
          profile: { schema: `${SCHEMAS}test/compute/profile`, instances: 1 },
        },
      });
      const box = await helloWebBox(server);
      const res = await deploy(server, box.id, 'pooled', { policy_box: { id: policy.body.id } });
      expect(res.status, res.text).toBe(202);
      const done = await settled(server, res.body.id, undefined, 90_000);
      expect(done.state, JSON.stringify(done.operation)).toBe('done');
      expect(existsSync(join(host.home, '.ebcli-agent', 'work', res.body.id, 'www', 'index.html'))).toBe(true);
      const before = (await server.call('GET', `/services/instances/${res.body.id}`)).body.updated;
      expect((await server.call('DELETE', `/services/instances/${res.body.id}`)).status).toBe(202);
      expect((await settled(server, res.body.id, before, 60_000)).state).toBe('done');
      await until(
        async () => (await m.call('GET', `/services/machines/${machine.id}`)).body.instance === null,
        'the machine freed',
      );
      expect((await server.call('DELETE', `/services/machines/${machine.id}`)).status).toBe(204);
    } finally {
      // What the registration installed goes the way the SSH provider's terminate removes it.
      const [name, port] = host.target.split(':');
      await removeAgentOverSsh(
        {
          host: name!,
          port: Number(port),
          username: host.user,
          privateKey: host.privateKey,
          fingerprints: [host.fingerprint],
          trustOnFirstUse: false,
        },
        { instanceId: 'none', sudo: false, timeoutMs: 30_000 },
      ).catch(() => undefined);
      home.cleanup();
      rmSync(keyDir, { recursive: true, force: true });
    }
    await until(() => host.userProcesses().length === 0, 'the registered agent on host A to stop', 20_000);
    expect(existsSync(join(host.home, '.ebcli-agent'))).toBe(false);
  }, 240_000);
});
