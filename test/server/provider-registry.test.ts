import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PROVIDER_KINDS, providerKind } from '../../src/server/providers/kinds.js';
import { ProviderRegistry } from '../../src/server/providers/registry.js';
import { RemoteHostProvider } from '../../src/server/providers/remote-host.js';
import { PROVIDER_TYPES } from '../../src/server/providers/provider-types.js';
import type { AgentChannel } from '../../src/server/workflows/env.js';
import { startTestServer, type TestServer } from '../helpers/server.js';

let t: TestServer;
let dir: string;
const disconnected: string[] = [];
// A stand-in for the agent hub, recording what the providers ask of it (the hub has its own tests).
const agents = (() => ({
  session: (name: string) => (name === 'up' ? {} : undefined),
  disconnect: (name: string) => void disconnected.push(name),
})) as unknown as () => AgentChannel;

beforeAll(async () => {
  t = await startTestServer();
  dir = mkdtempSync(join(tmpdir(), 'ebcli-registry-'));
});
afterAll(async () => {
  await t.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe('providers through one registry', () => {
  it('every deployable kind has document fields, and only the host-local one needs an administrator', () => {
    for (const k of PROVIDER_KINDS) expect(PROVIDER_TYPES[k.type], k.type).toBeDefined();
    expect(PROVIDER_KINDS.filter((k) => k.onServerHost).map((k) => k.type)).toEqual(['Test Provider']);
    expect(providerKind('Amazon Web Services')).toBeUndefined();
  });

  it('finds the provider of each document by its type, one instance per type', async () => {
    const registry = new ProviderRegistry(t.server.db, { dataDir: dir, agents });
    const providers = (await t.call('GET', '/services/workspaces/admin/providers')).body as { id: string }[];
    const local = await registry.providerFor(providers[0]!.id);
    expect(local.kind).toBe('local');
    expect(local.selfSupervised).toBeFalsy();
    expect(await registry.providerFor(providers[0]!.id)).toBe(local);
    const created = await t.call('POST', '/services/providers', {
      body: { schema: 'http://elasticbox.net/schemas/existing/provider', type: 'Existing Machines', name: 'pool' },
    });
    expect(created.status).toBe(202);
    const pool = await registry.providerFor(created.body.id);
    expect(pool).toBeInstanceOf(RemoteHostProvider);
    await expect(registry.providerFor('no-such-provider')).rejects.toThrow(/does not exist/);
  });

  it('remote hosts share one base: no token handed out, no boot or power off, a reboot reconnects', async () => {
    const registry = new ProviderRegistry(t.server.db, { dataDir: dir, agents });
    const created = await t.call('POST', '/services/providers', {
      body: { schema: 'http://elasticbox.net/schemas/existing/provider', type: 'Existing Machines', name: 'pool2' },
    });
    const remote = await registry.providerFor(created.body.id);
    const spec = { name: 'up', instanceId: 'i-aaaaaa', token: 't', serverUrl: 'https://x', pingIntervalMs: 1000 };
    expect(remote.selfSupervised).toBe(true);
    expect(await remote.existingToken('up')).toBeUndefined();
    expect(await remote.agentAlive('up')).toBe(true);
    expect(await remote.agentAlive('down')).toBe(false);
    expect(await remote.boot(spec)).toEqual({ agentPid: 0 });
    await remote.powerOff('up');
    expect(disconnected).toEqual([]);
    await remote.reboot(spec);
    expect(disconnected).toEqual(['up']);
  });
});
