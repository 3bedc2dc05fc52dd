// T2 (quality.md B2): `ebcli instances list` (start, auth, GET 100 rows from a loopback server,
// render) median ≤ 3× `node -e 0`, both measured in this run. The server runs in this process,
// seeded with 100 instances straight into its store. Prints one JSON line.
// Usage: npm run build && npx tsx bench/t02-instances-list.ts [runs]
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startServer } from '../src/server/start.js';
import { insertInstance, type InstanceDoc } from '../src/server/store/instances.js';
import { dataFiles } from '../src/shared/paths.js';
import { newInstanceId } from '../src/shared/ids.js';
import { timestamp } from '../src/shared/time.js';
import { interleave, ratioLine } from './lib/ratio.js';

const BIN = fileURLToPath(new URL('../bin/run.js', import.meta.url));
const RUNS = Number(process.argv[2] ?? 30);
const WARMUP = 3;
const LIMIT = 3;
const ROWS = 100;

function timeOnce(args: string[], env: NodeJS.ProcessEnv): Promise<number> {
  return new Promise((resolve, reject) => {
    const start = process.hrtime.bigint();
    const child = spawn(process.execPath, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (err += d));
    child.on('exit', (code) => {
      const ms = Number(process.hrtime.bigint() - start) / 1e6;
      if (code !== 0) reject(new Error(`${args.join(' ')} exited ${code}: ${err}`));
      else if (args[0] === BIN && out.trim().split('\n').length !== ROWS)
        reject(new Error(`expected ${ROWS} rows, got:\n${out}`));
      else resolve(ms);
    });
  });
}

const dataDir = mkdtempSync(join(tmpdir(), 'ebcli-bench-'));
const server = await startServer({ dataDir, port: 0 });
try {
  const owner = 'admin';
  for (let i = 0; i < ROWS; i++) {
    const now = timestamp();
    const id = newInstanceId();
    const doc: InstanceDoc = {
      id,
      uri: `/services/instances/${id}`,
      schema: 'http://elasticbox.net/schemas/instance',
      name: `bench-${i}`,
      owner,
      box: '00000000-0000-4000-8000-000000000000',
      state: 'done',
      operation: { event: 'deploy', workspace: owner, created: now },
      tags: ['bench', `n${i % 10}`],
      variables: [],
      bindings: [],
      members: [],
      service: { type: 'Linux Compute', id: `eb-bench`, machines: [] },
      automatic_updates: 'off',
      created: now,
      updated: now,
      deleted: null,
    };
    await insertInstance(server.db, doc, null);
  }
  const home = mkdtempSync(join(tmpdir(), 'ebcli-bench-home-'));
  // The environment is inherited (NODE_EXTRA_CA_CERTS included) so baseline and target see the same.
  const env = {
    ...process.env,
    HOME: home,
    XDG_CONFIG_HOME: join(home, 'config'),
    XDG_DATA_HOME: join(home, 'data'),
    EBCLI_URL: server.url,
    EBCLI_TOKEN: readFileSync(dataFiles(dataDir).adminToken, 'utf8').trim(),
    EBCLI_CA_FILE: dataFiles(dataDir).caCert,
  };
  const baselineArgs = ['-e', '0'];
  const targetArgs = [BIN, 'instances', 'list'];
  const samples = await interleave(
    RUNS,
    WARMUP,
    () => timeOnce(baselineArgs, env),
    () => timeOnce(targetArgs, env),
  );
  rmSync(home, { recursive: true, force: true });
  process.stdout.write(ratioLine('T2 ebcli instances list (100 rows)', LIMIT, samples));
} finally {
  await server.close();
  rmSync(dataDir, { recursive: true, force: true });
}
