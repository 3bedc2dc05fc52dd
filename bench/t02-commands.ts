// T2 for every common command (issue 9, "every command starts fast"): `boxes list`, `instances show`,
// `whoami`, `workspaces list`, `providers list`, `deploy --no-wait` and `instances list`, each median
// ≤ 3× `node -e 0`, all measured in the same run, interleaved, once without and once with
// NODE_EXTRA_CA_CERTS (Node parses that bundle at every start, the baseline's included). The server
// runs in this process with its workflow workers idle (concurrency 0): a deploy is accepted and
// stored as the CLI sees it, but no machine or agent starts. Prints one JSON line per command and
// CA setting. Usage: npm run build && npx tsx bench/t02-commands.ts [runs]
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startServer } from '../src/server/start.js';
import { insertInstance } from '../src/server/instances/store.js';
import { dataFiles } from '../src/shared/paths.js';
import { benchInstanceDoc, timedRun } from './lib/fixtures.js';
import { ratioLine } from './lib/ratio.js';

const BIN = fileURLToPath(new URL('../bin/run.js', import.meta.url));
const RUNS = Number(process.argv[2] ?? 20);
const WARMUP = 3;
const LIMIT = 3;
const ROWS = 100;

const timeOnce = async (args: string[], env: NodeJS.ProcessEnv) => (await timedRun(args, env)).ms;

const dataDir = mkdtempSync(join(tmpdir(), 'ebcli-bench-'));
const home = mkdtempSync(join(tmpdir(), 'ebcli-bench-home-'));
const server = await startServer({ dataDir, port: 0, tunables: { concurrency: 0 } });
try {
  const docs = Array.from({ length: ROWS }, (_, i) => benchInstanceDoc(i));
  for (const doc of docs) await insertInstance(server.db, doc, null);
  const token = readFileSync(dataFiles(dataDir).adminToken, 'utf8').trim();
  const created = await server.app.inject({
    method: 'POST',
    url: '/services/boxes',
    headers: { 'elasticbox-token': token, 'content-type': 'application/json' },
    payload: {
      schema: 'http://elasticbox.net/schemas/boxes/script',
      name: 'Bench Box',
      requirements: ['linux'],
      variables: [],
      events: {},
    },
  });
  if (created.statusCode !== 200) throw new Error(`create box: ${created.statusCode} ${created.body}`);
  const box = (JSON.parse(created.body) as { id: string }).id;
  const base = {
    PATH: process.env.PATH,
    HOME: home,
    XDG_CONFIG_HOME: join(home, 'config'),
    XDG_DATA_HOME: join(home, 'data'),
    EBCLI_URL: server.url,
    EBCLI_TOKEN: token,
    EBCLI_CA_FILE: dataFiles(dataDir).caCert,
  };
  let deploys = 0;
  const commands: Record<string, () => string[]> = {
    'boxes list': () => ['boxes', 'list'],
    'instances show': () => ['instances', 'show', docs[0]!.id],
    whoami: () => ['whoami'],
    'workspaces list': () => ['workspaces', 'list'],
    'providers list': () => ['providers', 'list'],
    // Instance names are unique in a workspace: one per run.
    'deploy --no-wait': () => ['deploy', box, '--no-wait', '--name', `bench-deploy-${++deploys}`],
    'instances list': () => ['instances', 'list'],
  };
  for (const extraCa of [false, true]) {
    const env: NodeJS.ProcessEnv = extraCa ? { ...base, NODE_EXTRA_CA_CERTS: dataFiles(dataDir).caCert } : base;
    const baseline: number[] = [];
    const samples: Record<string, number[]> = Object.fromEntries(Object.keys(commands).map((c) => [c, []]));
    for (let i = 0; i < WARMUP + RUNS; i++) {
      // One round times the baseline and every command, so all see the same machine load.
      const b = await timeOnce(['-e', '0'], env);
      if (i >= WARMUP) baseline.push(b);
      for (const [name, args] of Object.entries(commands)) {
        const ms = await timeOnce([BIN, ...args()], env);
        if (i >= WARMUP) samples[name]!.push(ms);
      }
    }
    const previous = process.env.NODE_EXTRA_CA_CERTS;
    // machineInfo() in the line reports whether NODE_EXTRA_CA_CERTS was set.
    if (extraCa) process.env.NODE_EXTRA_CA_CERTS = env.NODE_EXTRA_CA_CERTS;
    else delete process.env.NODE_EXTRA_CA_CERTS;
    for (const [name, target] of Object.entries(samples)) {
      process.stdout.write(ratioLine(`T2 ebcli ${name}`, LIMIT, { baseline, target }));
    }
    if (previous === undefined) delete process.env.NODE_EXTRA_CA_CERTS;
    else process.env.NODE_EXTRA_CA_CERTS = previous;
  }
} finally {
  await server.close();
  rmSync(dataDir, { recursive: true, force: true });
  rmSync(home, { recursive: true, force: true });
}
