/**
 * What an idle agent connection keeps (T4, issue 12; bench/t04-idle-agents.ts measures the bytes):
 * once its websocket is open, the TLS socket no longer holds the upgrade's ServerResponse (and
 * through it the request, fastify's Request and Reply), the only `error` listener is the
 * session's (@fastify/websocket's closes over Request and Reply), and the socket has left the
 * unauthenticated-socket cap's table. Heartbeats are still stored (in batches, ≤ 1 s late).
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import WebSocket from 'ws';
import { insertInstance, type InstanceDoc } from '../../src/server/instances/store.js';
import { upsertMachine } from '../../src/server/workflows/store/machines.js';
import { AGENT_PATH } from '../../src/shared/protocol.js';
import { newInstanceId } from '../../src/shared/ids.js';
import { timestamp } from '../../src/shared/time.js';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { until } from '../helpers/standalone-agent.js';

const MACHINE = 'm-footprint';
const TOKEN = 'machine-token-footprint-0123456789abcdef';
let t: TestServer;

beforeAll(async () => {
  t = await startTestServer();
  const db = t.server.db;
  const provider = await db.selectFrom('providers').select('id').where('owner', '=', 'admin').executeTakeFirstOrThrow();
  const id = newInstanceId();
  const now = timestamp();
  const doc: InstanceDoc = {
    id,
    uri: `/services/instances/${id}`,
    schema: 'http://elasticbox.net/schemas/instance',
    name: 'footprint',
    owner: 'admin',
    box: 'footprint-box',
    state: 'done',
    operation: { event: 'deploy', workspace: 'admin', created: now },
    service: { type: 'Linux Compute', id: 'eb-footprint', machines: [] },
    created: now,
    updated: now,
  };
  await insertInstance(db, doc, provider.id);
  await upsertMachine(db, {
    name: MACHINE,
    instanceId: id,
    workspace: 'admin',
    serviceId: 'eb-footprint',
    providerId: provider.id,
    token: TOKEN,
    address: { public: '127.0.0.1', private: '127.0.0.1' },
  });
}, 60_000);
afterAll(async () => t?.stop());

const machine = () =>
  t.server.db
    .selectFrom('machines')
    .select(['connected', 'last_agent_ping'])
    .where('name', '=', MACHINE)
    .executeTakeFirstOrThrow();

it('an open agent websocket keeps nothing of its upgrade request; heartbeats are stored', async () => {
  const ws = new WebSocket(`${t.url.replace(/^http/, 'ws')}${AGENT_PATH}`, {
    ca: t.server.ca,
    headers: { authorization: `Bearer ${TOKEN}` },
  });
  try {
    await new Promise((resolve, reject) => ws.once('open', resolve).once('error', reject));
    ws.send(
      JSON.stringify({ type: 'hello', protocol: 1, machine: MACHINE, agentVersion: 't', pending: [], running: [] }),
    );
    await until(async () => (await machine()).connected === 1, 'the hello to be handled', 20_000);

    const clients = [...(t.server.app.websocketServer.clients as Set<WebSocket>)];
    expect(clients).toHaveLength(1);
    const server = clients[0]! as WebSocket & { _socket: { _httpMessage?: unknown; remoteAddress: string } };
    expect(server._socket._httpMessage ?? null).toBeNull();
    expect(server.listenerCount('error')).toBe(1);
    expect(t.server.app.socketCap.count(server._socket.remoteAddress)).toBe(0);

    await t.server.db.updateTable('machines').set({ last_agent_ping: 'probe' }).where('name', '=', MACHINE).execute();
    ws.send(JSON.stringify({ type: 'heartbeat', sentAt: Date.now() }));
    await until(async () => (await machine()).last_agent_ping !== 'probe', 'the heartbeat to be stored', 20_000);
    expect((await machine()).last_agent_ping).toMatch(/^\d{4}-/);
  } finally {
    ws.terminate();
  }
}, 60_000);
