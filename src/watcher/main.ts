/**
 * The Watcher process: runs beside the ALM agent on a machine. Configuration comes from the
 * environment only (never secrets in argv):
 *   EBCLI_WATCHER_SERVER      https://host:port of the control plane
 *   EBCLI_WATCHER_CA          file with the CA certificate to trust (optional)
 *   EBCLI_WATCHER_DIR         state folder (keys, credentials, counters, spool)
 *   EBCLI_WATCHER_TOKEN_FILE  file holding the machine token (read once, to enroll)
 *   EBCLI_WATCHER_SPOOL_MAX   most results spooled while disconnected (default 10000)
 */
import { readFileSync } from 'node:fs';
import { Watcher } from './watcher.js';

function need(name: string): string {
  const v = process.env[name];
  if (!v) {
    process.stderr.write(`watcher: ${name} is not set\n`);
    process.exit(2);
  }
  return v;
}

const caFile = process.env.EBCLI_WATCHER_CA;
const tokenFile = process.env.EBCLI_WATCHER_TOKEN_FILE;
const watcher = new Watcher({
  server: need('EBCLI_WATCHER_SERVER'),
  stateDir: need('EBCLI_WATCHER_DIR'),
  ...(caFile ? { ca: readFileSync(caFile, 'utf8') } : {}),
  machineToken: () => readFileSync(tokenFile ?? need('EBCLI_WATCHER_TOKEN_FILE'), 'utf8').trim(),
  ...(process.env.EBCLI_WATCHER_SPOOL_MAX ? { spoolMax: Number(process.env.EBCLI_WATCHER_SPOOL_MAX) } : {}),
  log: (level, msg, data) =>
    process.stderr.write(`${JSON.stringify({ level, msg, ...data, time: new Date().toISOString() })}\n`),
});

for (const sig of ['SIGTERM', 'SIGINT'] as const) {
  process.on(sig, () => {
    void watcher.stop().then(() => process.exit(0));
  });
}
watcher.start().catch((err: Error) => {
  process.stderr.write(`watcher: ${err.message}\n`);
  process.exit(1);
});
