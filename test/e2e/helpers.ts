import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { killMarked, killProcessGroup } from '../../src/server/providers/process-group.js';
import { MACHINE_MARKER } from '../../src/server/providers/local.js';
import { dataFiles } from '../../src/shared/paths.js';
import { startServer } from '../../src/server/start.js';
import { afterAll, beforeAll } from 'vitest';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { testDatabaseUrl } from '../helpers/store.js';
import { eventShapeProblem } from '../helpers/event-shapes.js';

/** What the helpers need of a server: its authenticated `call`. */
export type Api = Pick<TestServer, 'call'>;

export const EXAMPLES = join(import.meta.dirname, '..', '..', 'examples', 'boxes');
export const DEPLOY_SCHEMA = 'http://elasticbox.net/schemas/deploy-instance-request';

/** Short timings for end-to-end runs (read by the server when it starts). */
export function fastTunables(env: NodeJS.ProcessEnv = process.env): void {
  env.EBCLI_PING_INTERVAL_MS = '1000';
  env.EBCLI_WORKFLOW_POLL_MS = '200';
  env.EBCLI_WORKFLOW_LEASE_MS = '6000';
  env.EBCLI_AGENT_CONNECT_TIMEOUT_MS = '30000';
  env.EBCLI_LEASE_SCHEDULER_MS = '250';
}

async function upload(t: Api, name: string, text: string): Promise<string> {
  const res = await t.call('POST', `/services/blobs/upload/${encodeURIComponent(name)}`, {
    raw: text,
    headers: { 'content-type': 'text/x-shellscript' },
  });
  if (res.status !== 200) throw new Error(`upload ${name}: ${res.status} ${res.text}`);
  return res.body.url;
}

export interface BoxSpec {
  name: string;
  events?: Record<string, string>;
  variables?: Record<string, unknown>[];
}

/** Creates a script box whose events are the given script texts. */
export async function createBox(t: Api, spec: BoxSpec): Promise<any> {
  const events: Record<string, { url: string; destination_path: string; content_type: string }> = {};
  for (const [event, text] of Object.entries(spec.events ?? {})) {
    events[event] = {
      url: await upload(t, event, text),
      destination_path: 'scripts',
      content_type: 'text/x-shellscript',
    };
  }
  const res = await t.call('POST', '/services/boxes', {
    body: {
      schema: 'http://elasticbox.net/schemas/boxes/script',
      name: spec.name,
      requirements: ['linux'],
      variables: spec.variables ?? [],
      events,
    },
  });
  if (res.status !== 200) throw new Error(`create box ${spec.name}: ${res.status} ${res.text}`);
  return res.body;
}

/**
 * Imports an example box folder (box.yaml + events/), rewriting Box and Binding values that name
 * other example boxes by their box.yaml id to the ids the server gave them (`ids`).
 */
export async function importExample(t: Api, folder: string, ids: Map<string, string>): Promise<any> {
  const dir = join(EXAMPLES, folder);
  const yaml = parse(readFileSync(join(dir, 'box.yaml'), 'utf8')) as Record<string, any>;
  const events: Record<string, string> = {};
  const eventsDir = join(dir, 'events');
  if (existsSync(eventsDir))
    for (const e of readdirSync(eventsDir)) events[e] = readFileSync(join(eventsDir, e), 'utf8');
  const variables = ((yaml.variables ?? []) as Record<string, any>[]).map((v) =>
    (v.type === 'Box' || v.type === 'Binding') && ids.has(v.value) ? { ...v, value: ids.get(v.value) } : v,
  );
  const box = await createBox(t, { name: yaml.name, events, variables });
  ids.set(yaml.id, box.id);
  return box;
}

export async function deploy(
  t: Api,
  box: string,
  name: string,
  extra: Record<string, unknown> = {},
  headers?: Record<string, string>,
) {
  return t.call('POST', '/services/instances', {
    body: { schema: DEPLOY_SCHEMA, name, box: { id: box }, automatic_updates: 'off', ...extra },
    headers,
  });
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Polls the instance (as JP does) until `updated` moved past `since` and it is done or unavailable. */
export async function settled(t: Api, id: string, since?: string, timeoutMs = 60_000): Promise<any> {
  const deadline = Date.now() + timeoutMs;
  let last: any;
  while (Date.now() < deadline) {
    const res = await t.call('GET', `/services/instances/${id}`);
    last = res.body;
    if (res.status === 404) return undefined;
    if (last.state !== 'processing' && (!since || last.updated !== since)) return last;
    await sleep(100);
  }
  throw new Error(`instance ${id} did not settle: ${JSON.stringify(last?.state)} ${JSON.stringify(last?.operation)}`);
}

export async function activityTexts(t: Api, id: string, operation?: string): Promise<string[]> {
  const q = operation ? `?operation=${operation}` : '';
  return (await t.call('GET', `/services/instances/${id}/activity${q}`)).body.map((a: any) => a.text);
}

/** The working directory of an instance on its local machine. */
export function workdir(dataDir: string, machine: string, instance: string): string {
  return join(dataFiles(dataDir).machines, machine, 'work', instance);
}

/** Kills every agent (and script) of every local machine of a data directory. */
export async function killAgents(dataDir: string): Promise<void> {
  // The host agent serving the local machines: every machine's sandbox ends with it.
  const host = hostAgentPid(dataDir);
  if (host) await killProcessGroup(host, 3000);
  const root = dataFiles(dataDir).machines;
  if (!existsSync(root)) return;
  for (const name of readdirSync(root)) {
    const sandbox = join(root, name);
    const pidFile = join(sandbox, 'agent.pid');
    if (existsSync(pidFile)) await killProcessGroup(Number(readFileSync(pidFile, 'utf8').trim()), 1000);
    await killMarked(MACHINE_MARKER, sandbox);
  }
}

/** The pid of the host agent serving a data directory's local machines, when one was started. */
export function hostAgentPid(dataDir: string): number | undefined {
  const file = join(dataDir, 'host-agent', 'host-agent.pid');
  return existsSync(file) ? Number(readFileSync(file, 'utf8').trim()) : undefined;
}

/** Restarts the server on the same port, so running agents find it again. */
export async function restartSamePort(t: TestServer): Promise<void> {
  const port = t.server.port;
  await t.server.close();
  t.server = await startServer({ dataDir: t.dataDir, port, database: await testDatabaseUrl(t.dataDir) });
  t.url = t.server.url;
}

/** Events of an instance from the workspace stream. */
export async function eventsOf(t: Api, instance: string, type?: string): Promise<any[]> {
  const q = `instance=${instance}${type ? `&type=${type}` : ''}&limit=10000`;
  const events = (await t.call('GET', `/services/events?${q}`)).body.events as any[];
  // Every event the server wrote must have its type's payload (src/shared/events.ts).
  const wrong = events.map(eventShapeProblem).filter(Boolean);
  if (wrong.length) throw new Error(`events not of their type's shape:\n${wrong.join('\n')}`);
  return events;
}

/**
 * A real server with short timings for the tests of one file; afterwards it stops the server and
 * kills every agent its machines left running. `onStart` receives the server once it is up.
 */
export function useE2eServer(onStart: (t: TestServer) => void): void {
  let t: TestServer;
  beforeAll(async () => {
    fastTunables();
    t = await startTestServer();
    onStart(t);
  });
  afterAll(async () => {
    const dataDir = t.dataDir;
    await t.server.close();
    await killAgents(dataDir);
    await t.stop().catch(() => undefined);
  });
}
