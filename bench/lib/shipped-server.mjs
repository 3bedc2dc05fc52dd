/**
 * The control plane as it ships, as a process of its own for memory benches (T4):
 * dist/server-bundle/start.cjs (built by `npm run build`), the module `ebcli server start` loads,
 * run by plain node (no TypeScript loader, whose caches would count as server memory) with the
 * logger `ebcli server start` uses (level info), writing to <dataDir>/server.log.
 *
 *   node bench/lib/shipped-server.mjs <dataDir> [port]
 *
 * Prints one JSON line `{url, port, pid}` once listening. Like test/e2e/server-process.ts, SIGUSR2
 * runs a full garbage collection and writes process.memoryUsage() to <dataDir>/memory.json.
 */
import { createWriteStream, renameSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

const [dataDir, port] = process.argv.slice(2);
if (!dataDir) throw new Error('usage: shipped-server.mjs <dataDir> [port]');
// What the bundle imports dynamically goes through a real module (src/cli/server-bundle.ts does the same).
globalThis.__ebcliImport ??= (specifier) => import(specifier);
const bundle = join(import.meta.dirname, '..', '..', 'dist', 'server-bundle', 'start.cjs');
const { startServer, waitForShutdownSignal } = createRequire(import.meta.url)(bundle);
const server = await startServer({
  dataDir,
  port: Number(port ?? 0),
  logger: { level: process.env.EBCLI_LOG_LEVEL ?? 'info', stream: createWriteStream(join(dataDir, 'server.log')) },
});
setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc');
process.on('SIGUSR2', () => {
  gc();
  writeFileSync(join(dataDir, 'memory.json.tmp'), JSON.stringify({ at: Date.now(), ...process.memoryUsage() }));
  renameSync(join(dataDir, 'memory.json.tmp'), join(dataDir, 'memory.json'));
});
process.stdout.write(`${JSON.stringify({ url: server.url, port: server.port, pid: process.pid })}\n`);
await waitForShutdownSignal();
await server.close();
