/**
 * One control-plane replica as a process of its own, for fault campaigns that SIGKILL it:
 * `node --import tsx bench/lib/replica-process.ts <dataDir> <port>`, the PostgreSQL URL in
 * EBCLI_DATABASE_URL (never in argv), timings from the EBCLI_* environment variables. Prints one
 * JSON line `{url, port, pid}` once listening; SIGTERM closes it. Warnings and errors are logged
 * to <dataDir>/server.log.
 */
import { join } from 'node:path';
import { startServer, waitForShutdownSignal } from '../../src/server/start.js';

const [dataDir, port] = process.argv.slice(2);
const database = process.env.EBCLI_DATABASE_URL;
if (!dataDir || !database)
  throw new Error('usage: EBCLI_DATABASE_URL=postgres://… replica-process.ts <dataDir> [port]');
const logger = { level: 'warn', file: join(dataDir, 'server.log') };
const server = await startServer({ dataDir, port: Number(port ?? 0), database, logger });
process.stdout.write(`${JSON.stringify({ url: server.url, port: server.port, pid: process.pid })}\n`);
await waitForShutdownSignal();
await server.close();
