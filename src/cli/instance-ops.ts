import { Args, Flags } from '@oclif/core';
import type { EbClient } from '../client/client.js';
import type { Instance, InstanceOperation } from '../client/types.js';
import { displayState } from '../client/wait.js';
import { CliError, NotFoundCliError, UsageError } from './errors.js';
import { ExitCode } from './exit-codes.js';
import { concurrencyFlag, maxFailuresFlag, tagFlag, timeoutFlag, yesFlag } from './flags.js';
import { confirmOrYes } from './input.js';
import {
  failureBudget,
  finish,
  notStarted,
  operate,
  resolveTargets,
  resultLine,
  runBudgeted,
  type TargetResult,
} from './operations.js';

/** Flags shared by every lifecycle command. */
export const operationFlags = () => ({
  tag: tagFlag,
  'instance-id': Flags.string({
    char: 'i',
    description: 'instance id (same as the argument; repeatable)',
    multiple: true,
  }),
  concurrency: concurrencyFlag,
  'max-failures': maxFailuresFlag,
  yes: yesFlag,
  wait: Flags.boolean({ description: 'wait for the operation to finish', default: true, allowNo: true }),
  timeout: timeoutFlag('30m'),
});

export const operationArgs = { ids: Args.string({ description: 'instance ids' }) };

/** Operations that destroy something: they list the targets and ask (or need --yes). */
const DESTRUCTIVE = new Set<InstanceOperation>(['terminate', 'force_terminate', 'delete']);

export interface OperationHost {
  client(): Promise<EbClient>;
  note(message: string): void;
  out(text: string): void;
  jsonEnabled(): boolean;
}

export interface OperationInput {
  ids: string[];
  tags: string[];
  concurrency: number;
  /** `--max-failures` as given (N or P%). */
  maxFailures?: string;
  yes: boolean;
  wait: boolean;
  timeoutMs: number;
}

/** Checks the input, resolves the targets and, for a destructive operation, lists them and confirms. */
export async function selectTargets(
  client: EbClient,
  op: InstanceOperation,
  input: OperationInput,
): Promise<{ id: string; doc?: Instance; error?: unknown }[]> {
  if (input.ids.length === 0 && input.tags.length === 0) {
    throw new UsageError('no instances given: pass instance ids or --tag');
  }
  failureBudget(input.maxFailures, 1); // a bad --max-failures fails before anything is asked or done
  const targets = await resolveTargets(client, input.ids, input.tags);
  if (targets.length === 0) throw new NotFoundCliError(`no instance has all the tags ${input.tags.join(', ')}`);
  const live = targets.filter((t) => t.doc);
  if (DESTRUCTIVE.has(op) && live.length) {
    const list = live.map((t) => `  ${t.id}  ${t.doc!.name}  ${displayState(t.doc!)}`).join('\n');
    if (!input.yes) process.stderr.write(`${op} ${live.length} instance(s):\n${list}\n`);
    if (!(await confirmOrYes(`${op} ${live.length} instance(s)?`, input.yes))) {
      throw new CliError('cancelled: nothing was changed', ExitCode.Failed, 'cancelled');
    }
  }
  return targets;
}

/** A lifecycle operation over one or many instances: resolve, confirm, run, wait, one line per target. */
export async function runInstanceOperation(
  host: OperationHost,
  op: InstanceOperation,
  input: OperationInput,
): Promise<TargetResult[]> {
  const client = await host.client();
  const targets = await selectTargets(client, op, input);
  const deadline = Date.now() + input.timeoutMs;
  const onChange = (doc: Instance) => host.note(`${doc.id}  ${displayState(doc)}  (${doc.operation?.event})`);
  const budget = failureBudget(input.maxFailures, targets.length);
  const print = (r: TargetResult) => {
    host.out(`${resultLine(r)}\n`);
    for (const line of r.activity ?? []) host.note(`  ${line}`);
    return r;
  };
  const results = await runBudgeted(
    targets,
    input.concurrency,
    budget,
    async (t) => print(await operate(client, t, op, { wait: input.wait, deadline, onChange })),
    (t) => print(notStarted({ id: t.id, name: t.doc?.name, operation: op })),
  );
  finish(results);
  return results;
}

/** Builds the input from a command's flags and variadic arguments. */
export function operationInput(
  flags: {
    tag?: string[];
    'instance-id'?: string[];
    concurrency: number;
    'max-failures'?: string;
    yes: boolean;
    wait: boolean;
    timeout: number;
  },
  argv: string[],
): OperationInput {
  return {
    ids: [...new Set([...argv, ...(flags['instance-id'] ?? [])])],
    tags: flags.tag ?? [],
    concurrency: flags.concurrency,
    maxFailures: flags['max-failures'],
    yes: flags.yes,
    wait: flags.wait,
    timeoutMs: flags.timeout,
  };
}
