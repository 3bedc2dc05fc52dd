/**
 * Process entry of a local machine's agent when the server runs from the TypeScript sources (no
 * build, so `bin/run.js agent` is not available): `node --import tsx local-agent-main.ts <flags>`.
 * The flags are those of `ebcli agent`. It runs until SIGTERM, SIGINT or its sandbox is removed.
 */
import { parseArgs } from 'node:util';
import { runAgentProcess } from '../agent-process.js';

const { values } = parseArgs({
  options: {
    url: { type: 'string' },
    'token-file': { type: 'string' },
    'ca-file': { type: 'string' },
    workdir: { type: 'string' },
    'spool-dir': { type: 'string' },
    machine: { type: 'string' },
    'ping-interval': { type: 'string' },
    'reconnect-base': { type: 'string' },
    'reconnect-cap': { type: 'string' },
  },
});

const required = (name: keyof typeof values): string => {
  const v = values[name];
  if (typeof v !== 'string' || !v) throw new Error(`--${name} is required`);
  return v;
};
const ms = (name: keyof typeof values): number | undefined => (values[name] ? Number(values[name]) : undefined);

const agent = await runAgentProcess({
  url: required('url'),
  tokenFile: required('token-file'),
  caFile: values['ca-file'],
  workdir: required('workdir'),
  spoolDir: required('spool-dir'),
  machine: required('machine'),
  pingIntervalMs: ms('ping-interval'),
  reconnectBaseMs: ms('reconnect-base'),
  reconnectCapMs: ms('reconnect-cap'),
  onLog: (level, message, fields) => {
    process.stderr.write(`${JSON.stringify({ time: new Date().toISOString(), level, message, ...fields })}\n`);
  },
});

process.once('SIGTERM', () => void agent.stop());
process.once('SIGINT', () => void agent.stop());
await agent.done;
// A process entry, not library code: it ends its own process once the agent has stopped.
// eslint-disable-next-line no-restricted-properties
process.exit(0);
