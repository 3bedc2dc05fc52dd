/**
 * Process entry of the host agent (src/agent/host-agent.ts), bundled as `host-agent.mjs` beside
 * the agent program. The local provider starts it in its sandbox:
 *   node host-agent.mjs --control <sock> --machines <dir> --agent-dir <dir> --node <path> [--cover <dir>]
 * Without `--cover` machines run unisolated (EBCLI_LOCAL_ISOLATION=off). It logs JSON lines to
 * stderr and runs until SIGTERM or SIGINT, or until its control socket is removed with the data
 * directory (every machine ends with it).
 */
import { existsSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { HostAgent } from '../host-agent.js';

const { values } = parseArgs({
  options: {
    control: { type: 'string' },
    machines: { type: 'string' },
    'agent-dir': { type: 'string' },
    node: { type: 'string' },
    cover: { type: 'string' },
  },
});
const required = (name: keyof typeof values): string => {
  const v = values[name];
  if (!v) throw new Error(`--${name} is required`);
  return v;
};

const host = new HostAgent({
  controlPath: required('control'),
  machinesDir: required('machines'),
  agentDir: required('agent-dir'),
  node: required('node'),
  cover: values.cover,
  log: (level, message, fields) => {
    process.stderr.write(`${JSON.stringify({ time: new Date().toISOString(), level, message, ...fields })}\n`);
  },
});
await host.listen();
const stop = () =>
  void host.stop().finally(() => {
    // A process entry, not library code: it ends its own process once every machine has stopped.
    // eslint-disable-next-line no-restricted-properties
    process.exit(0);
  });
process.once('SIGTERM', stop);
process.once('SIGINT', stop);
// Its data directory removed (the control socket with it): nothing is left to serve.
setInterval(() => {
  if (!existsSync(required('control'))) stop();
}, 2000).unref();
