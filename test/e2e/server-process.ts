/**
 * The control plane as a process of its own, for tests that SIGKILL it:
 * `node --import tsx test/e2e/server-process.ts <dataDir> <port>`. Prints one JSON line
 * `{url, port, pid}` once listening; timings come from the EBCLI_* environment variables. SIGUSR2
 * runs a full garbage collection and writes process.memoryUsage() to <dataDir>/memory.json.
 */
import { renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { startServer, waitForShutdownSignal } from '../../src/server/start.js';
import { testDatabaseUrl } from '../helpers/store.js';

const [dataDir, port] = process.argv.slice(2);
if (!dataDir) throw new Error('usage: server-process.ts <dataDir> [port]');
const server = await startServer({ dataDir, port: Number(port ?? 0), database: await testDatabaseUrl(dataDir) });
// Tests that read the process's memory (bench/lib/fleet-load.ts) send SIGUSR2: a full garbage
// collection, so what they read is what the server holds, not what it has yet to collect; then
// process.memoryUsage() goes to <dataDir>/memory.json.
setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;
process.on('SIGUSR2', () => {
  gc();
  writeFileSync(join(dataDir, 'memory.json.tmp'), JSON.stringify({ at: Date.now(), ...process.memoryUsage() }));
  renameSync(join(dataDir, 'memory.json.tmp'), join(dataDir, 'memory.json'));
});
process.stdout.write(`${JSON.stringify({ url: server.url, port: server.port, pid: process.pid })}\n`);
await waitForShutdownSignal();
await server.close();
