/**
 * quality.md A2 `pre-auth-allowlist`: every REST route (from the app's own route table), every
 * agent message type (from src/shared/protocol.ts) and every event-tail client message is called
 * without credentials and with the lowest-privilege credentials: a non-admin user's token aimed
 * at the admin's resources, and a machine token. The test fails when a route or message type has
 * no classification below, and when a classification names no route or type (Salt CVE-2020-11651).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { addUser } from '../helpers/users.js';
import { seedInstance } from '../cli/helpers.js';
import { upsertMachine } from '../../src/server/workflows/store/machines.js';
import { AGENT_PATH, AgentMessage, TailClientMessage } from '../../src/shared/protocol.js';
import { WATCHER_ENROLL_PATH, WATCHER_PATH } from '../../src/shared/monitoring/watcher-protocol.js';

/** Answers without any credential. */
const PUBLIC = [
  'GET /services/health',
  'GET /services/roots',
  'POST /services/security/token',
  'GET /services/openapi.json',
  'POST /services/session',
  'GET /',
  'GET /console/:file',
  // The agent program, its checksum and installer hold nothing secret; enrollment authenticates
  // its one-time token itself, rate-limited per address (enrollment.test.ts).
  'GET /services/agent/agent.mjs',
  'GET /services/agent/agent.mjs.sha256',
  'GET /services/agent/bootstrap.sh',
  'POST /services/agent/enroll',
];

/** Console routes that authenticate the session cookie themselves (src/server/auth/session/routes.ts). */
const SESSION_ROUTES = ['GET /services/session', 'DELETE /services/session'];

/**
 * How each `user` route treats a caller who is not a member of the target's workspace:
 * - `own`: acts only on the caller's own records (lists, profile, tokens, new resources): it may
 *   answer 2xx, but never with another workspace's private records;
 * - `foreign`: names a resource by id; for the admin's resources it must refuse (400/403/404).
 */
const USER_ROUTES: Record<string, 'own' | 'foreign'> = {
  'GET /services/tokens': 'own',
  'POST /services/tokens': 'own',
  'DELETE /services/tokens/:id': 'foreign',
  'GET /services/profile': 'own',
  'GET /services/workspaces': 'own',
  'POST /services/workspaces': 'own',
  'GET /services/workspaces/:ws': 'foreign',
  'PUT /services/workspaces/:ws': 'foreign',
  'DELETE /services/workspaces/:ws': 'foreign',
  'GET /services/workspaces/:ws/boxes': 'foreign',
  'GET /services/workspaces/:ws/instances': 'foreign',
  'GET /services/workspaces/:ws/providers': 'foreign',
  'GET /services/workspaces/:ws/members': 'foreign',
  'POST /services/workspaces/:ws/members': 'foreign',
  'PUT /services/workspaces/:ws/members/:member': 'foreign',
  'DELETE /services/workspaces/:ws/members/:member': 'foreign',
  // Organization admins only: another user gets 403 for every one of them.
  'GET /services/organizations/:org/users': 'foreign',
  'POST /services/organizations/:org/users': 'foreign',
  'DELETE /services/organizations/:org/users/:user': 'foreign',
  'POST /services/blobs/upload': 'own',
  'POST /services/blobs/upload/:file_name': 'own',
  'GET /services/blobs/download/:blob_id/:file_name': 'foreign',
  'GET /services/boxes': 'own',
  'POST /services/boxes': 'own',
  'GET /services/boxes/:id': 'foreign',
  'PUT /services/boxes/:id': 'foreign',
  'DELETE /services/boxes/:id': 'foreign',
  'GET /services/boxes/:id/versions': 'foreign',
  'GET /services/boxes/:id/stack': 'foreign',
  'GET /services/boxes/:id/bindings': 'foreign',
  'GET /services/providers': 'own',
  'POST /services/providers': 'own',
  'GET /services/providers/:prov': 'foreign',
  'PUT /services/providers/:prov': 'foreign',
  'DELETE /services/providers/:prov': 'foreign',
  'PUT /services/providers/:prov/sync': 'foreign',
  'GET /services/providers/:prov/logs': 'foreign',
  'GET /services/instances': 'own',
  'POST /services/instances': 'own',
  'POST /services/instances/dryrun': 'own',
  'GET /services/instances/:inst': 'foreign',
  'PUT /services/instances/:inst': 'foreign',
  'PUT /services/instances/:inst/reconfigure': 'foreign',
  'PUT /services/instances/:inst/reinstall': 'foreign',
  'PUT /services/instances/:inst/poweron': 'foreign',
  'PUT /services/instances/:inst/shutdown': 'foreign',
  'PUT /services/instances/:inst/deploy': 'foreign',
  'PUT /services/instances/:inst/pull': 'foreign',
  'GET /services/instances/:inst/bindings': 'foreign',
  'GET /services/instances/:inst/binding_instances': 'foreign',
  'DELETE /services/instances/:inst': 'foreign',
  'GET /services/instances/:inst/activity': 'foreign',
  'GET /services/instances/:inst/operations': 'foreign',
  'GET /services/instances/:inst/service': 'foreign',
  'GET /services/instances/:inst/machine_logs': 'foreign',
  'GET /services/events': 'own',
  'POST /services/machines/enrollments': 'own',
  'GET /services/machines': 'own',
  'GET /services/machines/:id': 'foreign',
  'DELETE /services/machines/:id': 'foreign',
  'GET /services/msa/checks': 'own',
  'POST /services/msa/checks': 'own',
  'GET /services/msa/checks/:check': 'foreign',
  'PUT /services/msa/checks/:check': 'foreign',
  'DELETE /services/msa/checks/:check': 'foreign',
  'GET /services/msa/checks/:check/versions': 'foreign',
  'POST /services/msa/results': 'foreign',
  'GET /services/msa/results': 'foreign',
  'GET /services/msa/metrics': 'foreign',
  'GET /services/msa/alerts': 'own',
  'PUT /services/msa/alerts/:alert/ack': 'foreign',
  'PUT /services/msa/alerts/:alert/silence': 'foreign',
  'GET /services/msa/watchers': 'foreign',
  'POST /services/msa/run': 'foreign',
  'DELETE /services/msa/watchers/:watcher': 'foreign',
};

/**
 * Routes that authenticate a machine credential themselves: the agent channel and Watcher
 * enrollment (machine token), the Watcher channel (the Watcher's own username and password).
 */
const AGENT_ROUTES = [`GET ${AGENT_PATH}`, `POST ${WATCHER_ENROLL_PATH}`, `GET ${WATCHER_PATH}`];

/**
 * Agent → server message types: `handshake` is the only one accepted before the machine has
 * said hello as itself; `machine` ones concern the sending machine only; `execution` ones name an
 * execution, which must have been dispatched to the sending machine (A3, agent-session tests).
 */
const AGENT_MESSAGES: Record<string, 'handshake' | 'machine' | 'execution'> = {
  hello: 'handshake',
  heartbeat: 'machine',
  pong: 'machine',
  output: 'execution',
  set_variable: 'execution',
  notify: 'execution',
  result: 'execution',
  rejected: 'execution',
};

/** Event-tail client message types (the tail socket itself is a `user` route: GET /services/events). */
const TAIL_CLIENT_MESSAGES = ['ping'];

type MessageSchema = { properties: { type: { const: string } } };
/** Type names of a protocol union (TypeBox collapses a union of one to its member). */
const typesOf = (union: { anyOf?: MessageSchema[] } & Partial<MessageSchema>) =>
  (union.anyOf ?? [union as MessageSchema]).map((s) => s.properties.type.const).sort();

let t: TestServer;
let bob: string;
const MACHINE_A = 'm-allow-a';
const MACHINE_B = 'm-allow-b';
const tokenA = 'machine-token-allowlist-a-0123456789abcdef';
const tokenB = 'machine-token-allowlist-b-0123456789abcdef';
/** Ids of the admin's records that bob must never reach. */
const admin: Record<string, string> = {};

beforeAll(async () => {
  // This test sends a machine token to every route on purpose: no failure budget applies here.
  const many = { max: 1_000_000, windowMs: 60_000 };
  t = await startTestServer(undefined, { authLimits: { tokenPerAddress: many, machineTokenPerAddress: many } });
  bob = await addUser(t, 'bob');
  admin.team = (await t.call('POST', '/services/workspaces', { body: { name: 'Admins Only' } })).body.id;
  admin.box = (
    await t.call('POST', '/services/boxes', {
      body: { schema: 'http://elasticbox.net/schemas/boxes/script', name: 'Private', requirements: [], variables: [] },
    })
  ).body.id;
  const blob = await t.call('POST', '/services/blobs/upload/secret.sh', {
    raw: 'echo private',
    headers: { 'content-type': 'text/x-shellscript' },
  });
  const [, blobId = '', blobName = ''] = /download\/([^/]+)\/(.+)$/.exec(blob.body.url) ?? [];
  admin.blob = blobId;
  admin.blobName = blobName;
  admin.token = (await t.call('POST', '/services/tokens', { body: { description: 'admin only' } })).body.id;
  admin.instance = (await seedInstance(t)).id;
  admin.provider = (await t.call('GET', '/services/workspaces/admin/providers')).body[0].id;
  admin.check = (
    await t.call('POST', '/services/msa/checks', { body: { name: 'private-check', command: 'true', interval: 10 } })
  ).body.id;
  admin.alert = (
    await t.call('POST', '/services/msa/results', {
      body: { instance: admin.instance, check: 'private-check', status: 2, output: 'private failure' },
    })
  ).body.alert.id;
  for (const [name, token] of [
    [MACHINE_A, tokenA],
    [MACHINE_B, tokenB],
  ] as const) {
    await upsertMachine(t.server.db, {
      name,
      instanceId: admin.instance,
      workspace: 'admin',
      serviceId: 'eb-seed0',
      providerId: admin.provider as string,
      token,
      address: { public: '127.0.0.1', private: '127.0.0.1' },
    });
  }
});
afterAll(async () => t.stop());

const key = (r: { method: string; url: string }) => `${r.method} ${r.url}`;

/** Signs in to the console; returns the `Cookie` header value of the session. */
async function signIn(email: string, password: string): Promise<string> {
  const res = await t.call('POST', '/services/session', { token: null, body: { email, password } });
  expect(res.status).toBe(200);
  return String(res.headers['set-cookie']).split(';')[0] as string;
}

/** Signs in to the console; returns the session's `Cookie` header value and its CSRF token. */
async function signInWithCsrf(email: string, password: string): Promise<{ cookie: string; csrf: string }> {
  const res = await t.call('POST', '/services/session', { token: null, body: { email, password } });
  expect(res.status).toBe(200);
  return { cookie: String(res.headers['set-cookie']).split(';')[0] as string, csrf: res.body.csrf };
}

/** A concrete path aimed at the admin's records. */
const aimedAtAdmin = (url: string) =>
  url
    .replace(':ws', admin.team as string)
    .replace(':org', 'public')
    .replace(':user', 'admin')
    .replace(':member', 'admin')
    .replace(':blob_id', admin.blob as string)
    .replace(':file_name', admin.blobName as string)
    .replace(':inst', admin.instance as string)
    .replace(':prov', admin.provider as string)
    .replace(':check', admin.check as string)
    .replace(':alert', admin.alert as string)
    .replace(':id', url.startsWith('/services/tokens') ? (admin.token as string) : (admin.box as string));

describe('A2 classification', () => {
  it('classifies every registered route exactly once, and every classification names a route', () => {
    const routes = t.server.app.routeTable;
    expect(routes.length).toBeGreaterThan(40);
    const byClass = (c: string) =>
      routes
        .filter((r) => r.auth === c)
        .map(key)
        .sort();
    expect(byClass('public')).toEqual([...PUBLIC].sort());
    expect(byClass('agent')).toEqual([...AGENT_ROUTES].sort());
    expect(byClass('session')).toEqual([...SESSION_ROUTES].sort());
    expect(byClass('user')).toEqual(Object.keys(USER_ROUTES).sort());
  });

  it('classifies every agent and tail message type of the protocol, and nothing else', () => {
    expect(typesOf(AgentMessage as never)).toEqual(Object.keys(AGENT_MESSAGES).sort());
    expect(typesOf(TailClientMessage as never)).toEqual([...TAIL_CLIENT_MESSAGES].sort());
  });
});

describe('A2 REST routes', () => {
  it('answers 401 without a credential on every non-public route, before reading the body', async () => {
    for (const r of t.server.app.routeTable.filter((x) => x.auth !== 'public')) {
      const res = await t.call(r.method, aimedAtAdmin(r.url), {
        token: null,
        raw: '{broken',
        headers: { 'content-type': 'application/json' },
      });
      expect(res.status, key(r)).toBe(401);
    }
  });

  it('answers 401 to a machine token on every user route, and to a user token on the agent channel', async () => {
    for (const r of t.server.app.routeTable.filter((x) => x.auth === 'user')) {
      const forms: Record<string, string>[] = [{ authorization: `Bearer ${tokenA}` }, { 'elasticbox-token': tokenA }];
      for (const headers of forms) {
        const res = await t.call(r.method, aimedAtAdmin(r.url), { token: null, headers, raw: '{}' });
        expect(res.status, key(r)).toBe(401);
      }
    }
    const res = await t.call('GET', AGENT_PATH, { token: null, headers: { authorization: `Bearer ${bob}` } });
    expect(res.status).toBe(401);
  });

  it('answers 401 to a console session cookie alone (no CSRF token) on every user route and the agent channel', async () => {
    const cookie = await signIn('bob@example.test', 'bob-password');
    for (const r of t.server.app.routeTable.filter((x) => x.auth === 'user')) {
      const res = await t.call(r.method, aimedAtAdmin(r.url), { token: null, headers: { cookie }, raw: '{}' });
      expect(res.status, key(r)).toBe(401);
    }
    expect((await t.call('GET', AGENT_PATH, { token: null, headers: { cookie } })).status).toBe(401);
    expect((await agentSocket({ cookie, origin: t.url })).status).toBe(401);
  });

  it('a console session with its CSRF token reaches the MSA routes the console uses, under the workspace rules, and no machine channel', async () => {
    const { cookie, csrf } = await signInWithCsrf('bob@example.test', 'bob-password');
    const headers = { cookie, 'x-csrf-token': csrf, origin: t.url };
    // The console's monitoring pages read these as the CLI does (src/console/pages/alerts.ts, parts/*).
    for (const url of ['/services/msa/alerts?state=all', '/services/msa/checks']) {
      const res = await t.call('GET', url, { token: null, headers });
      expect(res.status, url).toBe(200);
      expect(res.text, url).not.toContain(admin.alert as string);
    }
    // Acknowledge and silence take the session too, and apply the same workspace rules as a token.
    for (const [path, body] of [
      [`/services/msa/alerts/${admin.alert}/ack`, undefined],
      [`/services/msa/alerts/${admin.alert}/silence`, { duration: '1h' }],
      [`/services/msa/results?instance=${admin.instance}`, undefined],
      [`/services/msa/metrics?instance=${admin.instance}`, undefined],
    ] as const) {
      const method = path.includes('?') ? 'GET' : 'PUT';
      const res = await t.call(method, path, { token: null, headers, ...(body ? { body } : {}) });
      expect([403, 404], path).toContain(res.status);
    }
    const alert = (await t.call('GET', '/services/msa/alerts')).body.find((a: any) => a.id === admin.alert);
    expect(alert).toMatchObject({ acknowledged: false, silenced: false });
    // From another origin, the same session and token are refused.
    const cross = await t.call('GET', '/services/msa/alerts', {
      token: null,
      headers: { ...headers, origin: 'https://evil.example' },
    });
    expect(cross.status).toBe(403);
    // The machine channels (agent, Watcher enrollment and Watcher socket) never take a session.
    for (const route of AGENT_ROUTES) {
      const [method, url] = route.split(' ') as [string, string];
      const res = await t.call(method, url, { token: null, headers, raw: '{}' });
      expect(res.status, route).toBe(401);
    }
  });

  it("refuses the admin's records to another workspace's user on every route, and never leaks them", async () => {
    const secrets = [
      admin.team,
      admin.blob,
      admin.token,
      admin.instance,
      admin.box,
      admin.check,
      admin.alert,
    ] as string[];
    for (const r of t.server.app.routeTable.filter((x) => x.auth === 'user')) {
      const res = await t.call(r.method, aimedAtAdmin(r.url), {
        token: bob,
        body: r.method === 'GET' || r.method === 'DELETE' ? undefined : { owner: 'admin', name: 'x' },
      });
      expect(res.status, key(r)).toBeLessThan(500);
      if (USER_ROUTES[key(r)] === 'foreign') expect([400, 403, 404], `${key(r)} ${res.text}`).toContain(res.status);
      else if (res.status < 300) for (const s of secrets) expect(res.text, `${key(r)} leaks ${s}`).not.toContain(s);
    }
    // Nothing of the admin's changed.
    expect((await t.call('GET', `/services/workspaces/${admin.team}`)).status).toBe(200);
    expect((await t.call('GET', `/services/boxes/${admin.box}`)).status).toBe(200);
    expect((await t.call('GET', `/services/instances/${admin.instance}`)).body.state).toBe('done');
    expect((await t.call('GET', '/services/tokens')).body.map((x: any) => x.id)).toContain(admin.token);
  });
});

/** Opens the agent channel; resolves with the HTTP status of a refusal, or the open socket. */
function agentSocket(headers: Record<string, string>): Promise<{ status: number; ws?: WebSocket }> {
  return new Promise((resolve) => {
    const ws = new WebSocket(`${t.url.replace('https', 'wss')}${AGENT_PATH}`, { ca: t.server.ca, headers });
    ws.on('unexpected-response', (_req, res) => {
      resolve({ status: res.statusCode ?? 0 });
      ws.terminate();
    });
    ws.on('open', () => resolve({ status: 101, ws }));
    ws.on('error', () => resolve({ status: 0 }));
  });
}

const closeOf = (ws: WebSocket) =>
  new Promise<{ code: number; reason: string }>((r) =>
    ws.on('close', (code, reason) => r({ code, reason: String(reason) })),
  );

const sample = (type: string, machine: string): Record<string, unknown> => {
  const executionId = 'wf-allow.1';
  const now = Date.now();
  const frames: Record<string, Record<string, unknown>> = {
    hello: { protocol: 1, machine, agentVersion: 'test', pending: [], running: [] },
    heartbeat: { sentAt: now },
    pong: { sentAt: now },
    output: { executionId, seq: 1, stream: 'stdout', line: 'x' },
    set_variable: { executionId, seq: 1, name: 'V', value: 'x', scope: '' },
    notify: { executionId, seq: 1 },
    result: {
      executionId,
      status: 'success',
      exitCode: 0,
      signal: null,
      truncated: false,
      startedAt: now,
      finishedAt: now,
      outputLines: 0,
      lastSeq: 0,
    },
    rejected: { executionId, reason: 'invalid' },
  };
  return { type, ...frames[type] };
};

describe('A2 agent messages', () => {
  it('are unreachable without a machine credential: no 101 without a token, with a bad one or a user token', async () => {
    expect((await agentSocket({})).status).toBe(401);
    expect((await agentSocket({ authorization: 'Bearer nope' })).status).toBe(401);
    expect((await agentSocket({ authorization: `Bearer ${bob}` })).status).toBe(401);
    expect((await agentSocket({ authorization: `Bearer ${t.token}` })).status).toBe(401);
  });

  it('with a machine token, every type but hello is refused before a hello, and hello only as itself', async () => {
    for (const type of Object.keys(AGENT_MESSAGES)) {
      const { status, ws } = await agentSocket({ authorization: `Bearer ${tokenB}` });
      expect(status, type).toBe(101);
      const closed = closeOf(ws as WebSocket);
      // hello naming another machine: machine B may not speak as machine A.
      (ws as WebSocket).send(JSON.stringify(sample(type, MACHINE_A)));
      const { code, reason } = await closed;
      expect(code, type).toBe(1008);
      expect(reason, type).toMatch(type === 'hello' ? /another machine/ : /hello expected first/);
    }
  });
});

const machineB = async () =>
  t.server.db.selectFrom('machines').selectAll().where('name', '=', MACHINE_B).executeTakeFirstOrThrow();

async function until(check: () => Promise<boolean>, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('condition not reached in time');
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('A2 agent messages about another machine', () => {
  it("after a hello as itself, a machine's execution messages naming another machine's execution change nothing", async () => {
    const executionId = 'wf-allow.1';
    await t.server.db
      .insertInto('executions')
      .values({
        id: executionId,
        workflow_id: 'wf-allow',
        step: 1,
        instance_id: admin.instance as string,
        workspace: 'admin',
        machine: MACHINE_A,
        scope: '',
        box_name: 'Seed',
        event: 'install',
        activity_id: null,
        status: null,
        exit_code: null,
        message: null,
        truncated: 0,
        last_seq: null,
        stored_seq: 0,
        stored_bytes: 0,
        created: new Date().toISOString(),
        finished: null,
      })
      .execute();
    const before = await t.server.db
      .selectFrom('executions')
      .selectAll()
      .where('id', '=', executionId)
      .executeTakeFirst();
    const types = Object.entries(AGENT_MESSAGES)
      .filter(([, c]) => c === 'execution')
      .map(([type]) => type);
    for (const type of types) {
      const { status, ws } = await agentSocket({ authorization: `Bearer ${tokenB}` });
      expect(status, type).toBe(101);
      const socket = ws as WebSocket;
      const closed = closeOf(socket);
      const connections = (await machineB()).connections;
      socket.send(JSON.stringify(sample('hello', MACHINE_B)));
      await until(async () => (await machineB()).connections > connections);
      // Hello is handled; from here only a heartbeat writes the ping time. Frames are handled in
      // order, so once the heartbeat after the probe is stored, the probe has been handled.
      await t.server.db
        .updateTable('machines')
        .set({ last_agent_ping: 'probe' })
        .where('name', '=', MACHINE_B)
        .execute();
      socket.send(JSON.stringify(sample(type, MACHINE_B)));
      socket.send(JSON.stringify(sample('heartbeat', MACHINE_B)));
      let closedWith: number | undefined;
      void closed.then((c) => (closedWith = c.code));
      await until(async () => closedWith !== undefined || (await machineB()).last_agent_ping !== 'probe');
      if (closedWith !== undefined) expect(closedWith, type).toBe(1008);
      socket.terminate();
      const after = await t.server.db
        .selectFrom('executions')
        .selectAll()
        .where('id', '=', executionId)
        .executeTakeFirst();
      expect(after, type).toEqual(before);
      const records = await t.server.db
        .selectFrom('execution_records')
        .select('seq')
        .where('execution_id', '=', executionId)
        .execute();
      expect(records, type).toEqual([]);
    }
  });
});
