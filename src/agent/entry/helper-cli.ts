/**
 * `elasticbox`: the CAM on-machine helper command (cam-api.md §5). The agent puts an executable
 * `elasticbox` wrapper first on every script's PATH; it execs `node dist/agent/entry/helper-cli.js`.
 *
 *   elasticbox set NAME VALUE [-box BOX]     store a variable (NAME may be child.NAME, a.b.NAME);
 *   elasticbox set NAME [-]                  … reading the value from stdin (keeps it out of argv)
 *   elasticbox config [-i IN] [-o OUT] [-t jinja|velocity] [-box BOX]
 *                                            render a template with this script's context
 *                                            (stdin → stdout by default; both engines without -t)
 *   elasticbox notify                        reconfigure the instances bound to this one
 *
 * It talks to the agent over ELASTICBOX_AGENT_SOCKET for execution ELASTICBOX_EXECUTION_ID.
 * Exit status: 0 done, 1 refused by the agent or I/O error, 2 usage error.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { createConnection } from 'node:net';
import type { HelperRequest, HelperResponse } from '../helper-server.js';

const USAGE = `usage: elasticbox set NAME [VALUE|-] [-box BOX]
       elasticbox config [-i IN] [-o OUT] [-t jinja|velocity] [-box BOX]
       elasticbox notify
`;

class UsageError extends Error {}

type Parsed = { request: HelperRequest; output?: string };

function readStdin(): string {
  return readFileSync(0, 'utf8');
}

function parse(argv: string[], executionId: string): Parsed {
  const [command, ...rest] = argv;
  const options: Record<string, string> = {};
  const positional: string[] = [];
  for (let i = 0; i < rest.length; i++) {
    const arg = rest[i]!;
    const key = { '-i': 'in', '--in': 'in', '-o': 'out', '--out': 'out', '-t': 'type', '--type': 'type' }[arg];
    const name = arg === '-box' || arg === '--box' ? 'box' : key;
    if (name) {
      const value = rest[++i];
      if (value === undefined) throw new UsageError(`${arg} needs a value`);
      options[name] = value;
    } else positional.push(arg);
  }
  if (command === 'set') {
    const [target, value] = positional;
    if (!target || positional.length > 2) throw new UsageError('set takes NAME and VALUE');
    const name = options.box ? `${options.box}.${target}` : target;
    const text = value === undefined || value === '-' ? readStdin().replace(/\r?\n$/, '') : value;
    return { request: { executionId, command: 'set', name, value: text } };
  }
  if (command === 'config') {
    if (positional.length) throw new UsageError('config takes no positional arguments');
    const type = options.type;
    if (type !== undefined && type !== 'jinja' && type !== 'velocity') throw new UsageError('-t is jinja or velocity');
    const template = options.in ? readFileSync(options.in, 'utf8') : readStdin();
    const request: HelperRequest = { executionId, command: 'config', template, engine: type ?? 'both' };
    if (options.box) request.box = options.box;
    return { request, output: options.out };
  }
  if (command === 'notify' && positional.length === 0) return { request: { executionId, command: 'notify' } };
  throw new UsageError(command ? `unknown command: ${command}` : 'no command');
}

function call(socketPath: string, request: HelperRequest): Promise<HelperResponse> {
  return new Promise((resolve, reject) => {
    const socket = createConnection(socketPath);
    const chunks: Buffer[] = [];
    socket.on('connect', () => socket.write(`${JSON.stringify(request)}\n`));
    socket.on('data', (chunk: Buffer) => chunks.push(chunk));
    socket.on('error', reject);
    socket.on('end', () => {
      try {
        resolve(JSON.parse(Buffer.concat(chunks).toString('utf8')) as HelperResponse);
      } catch {
        reject(new Error('the agent sent no answer'));
      }
    });
  });
}

async function main(argv: string[]): Promise<number> {
  const socketPath = process.env.ELASTICBOX_AGENT_SOCKET;
  const executionId = process.env.ELASTICBOX_EXECUTION_ID;
  if (!socketPath || !executionId) {
    process.stderr.write('elasticbox: not running inside an ElasticBox event script\n');
    return 1;
  }
  let parsed: Parsed;
  try {
    parsed = parse(argv, executionId);
  } catch (err) {
    if (!(err instanceof UsageError)) throw err;
    process.stderr.write(`elasticbox: ${err.message}\n${USAGE}`);
    return 2;
  }
  const response = await call(socketPath, parsed.request);
  if (!response.ok) {
    process.stderr.write(`elasticbox: ${response.error}\n`);
    return 1;
  }
  if (response.output !== undefined) {
    if (parsed.output) writeFileSync(parsed.output, response.output);
    else process.stdout.write(response.output);
  }
  return 0;
}

main(process.argv.slice(2)).then(
  (code) => (process.exitCode = code),
  (err: unknown) => {
    process.stderr.write(`elasticbox: ${(err as Error).message}\n`);
    process.exitCode = 1;
  },
);
