/**
 * The control plane as a process of its own, for tests that SIGKILL it:
 * `node --import tsx test/e2e/server-process.ts <dataDir> <port>`. Prints one JSON line
 * `{url, port, pid}` once listening; timings come from the EBCLI_* environment variables.
 */
import { startServer, waitForShutdownSignal } from '../../src/server/start.js';
import { testDatabaseUrl } from '../helpers/store.js';

const [dataDir, port] = process.argv.slice(2);
if (!dataDir) throw new Error('usage: server-process.ts <dataDir> [port]');
const server = await startServer({ dataDir, port: Number(port ?? 0), database: await testDatabaseUrl(dataDir) });
process.stdout.write(`${JSON.stringify({ url: server.url, port: server.port, pid: process.pid })}\n`);
await waitForShutdownSignal();
await server.close();
