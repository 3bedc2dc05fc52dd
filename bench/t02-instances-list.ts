// T2 (quality.md B2): `ebcli instances list` (start, auth, GET 100 rows from a loopback server,
// render) median ≤ 3× `node -e 0`, both measured in this run. The server runs in this process,
// seeded with 100 instances straight into its store. Prints one JSON line.
// Usage: npm run build && npx tsx bench/t02-instances-list.ts [runs]
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startServer } from '../src/server/start.js';
import { insertInstance } from '../src/server/instances/store.js';
import { dataFiles } from '../src/shared/paths.js';
import { benchInstanceDoc, timedRun } from './lib/fixtures.js';
import { interleave, ratioLine } from './lib/ratio.js';

const BIN = fileURLToPath(new URL('../bin/run.js', import.meta.url));
const RUNS = Number(process.argv[2] ?? 30);
const WARMUP = 3;
const LIMIT = 3;
const ROWS = 100;

async function timeOnce(args: string[], env: NodeJS.ProcessEnv): Promise<number> {
  const { ms, out } = await timedRun(args, env);
  if (args[0] === BIN && out.trim().split('\n').length !== ROWS) throw new Error(`expected ${ROWS} rows, got:\n${out}`);
  return ms;
}

const dataDir = mkdtempSync(join(tmpdir(), 'ebcli-bench-'));
const server = await startServer({ dataDir, port: 0 });
try {
  const owner = 'admin';
  for (let i = 0; i < ROWS; i++) await insertInstance(server.db, benchInstanceDoc(i, owner), null);
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
