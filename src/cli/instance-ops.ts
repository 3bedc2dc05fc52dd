import { Args, Flags } from '@oclif/core';
import type { EbClient } from '../client/client.js';
import type { Instance, InstanceOperation } from '../client/types.js';
import { displayState } from '../client/wait.js';
import { CliError, NotFoundCliError, UsageError } from './errors.js';
import { ExitCode } from './exit-codes.js';
import type { CommandHost } from './base-command.js';
import { concurrencyFlag, maxFailuresFlag, quietFlag, tagFlag, timeoutFlag, yesFlag } from './flags.js';
import { checkJsonFields } from './json-fields.js';
import { confirmOrYes } from './input.js';
import {
  failureBudget,
  failureNotes,
  finish,
  notStarted,
  OK_OUTCOMES,
  operate,
  resolveTargets,
  resultLine,
  runBudgeted,
  type TargetResult,
} from './operations.js';
import { stderrProgress } from './progress.js';

/** Flags shared by every lifecycle command. */
export const operationFlags = () => ({
  tag: tagFlag,
  'instance-id': Flags.string({
    char: 'i',
    description: 'instance id or name (same as the argument; repeatable)',
    multiple: true,
  }),
  concurrency: concurrencyFlag,
  'max-failures': maxFailuresFlag,
  yes: yesFlag,
  wait: Flags.boolean({ description: 'wait for the operation to finish', default: true, allowNo: true }),
  timeout: timeoutFlag('30m'),
  quiet: quietFlag,
});

export const operationArgs = { ids: Args.string({ description: 'instance ids or names' }) };

/** Operations that destroy something: they list the targets and ask (or need --yes). */
const DESTRUCTIVE = new Set<InstanceOperation>(['terminate', 'force_terminate', 'delete']);

export type OperationHost = CommandHost;

/** The fields of a per-target result (`--json LIST` may name these). */
export const TARGET_RESULT_FIELDS = [
  'id',
  'name',
  'operation',
  'outcome',
  'state',
  'message',
  'exitCode',
  'code',
  'activity',
] as const;

/** One line per target: the result line, or with --quiet the id of a target that succeeded. */
export function printResult(host: CommandHost, r: TargetResult): void {
  if (!host.quiet) host.out(`${resultLine(r)}\n`);
  else if (OK_OUTCOMES.has(r.outcome)) host.out(`${r.id}\n`);
  else host.note(resultLine(r));
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
    throw new UsageError('no instances given: pass instance ids or names, or --tag');
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
  if (host.jsonFields) checkJsonFields(host.jsonFields, TARGET_RESULT_FIELDS);
  const client = await host.client();
  const targets = await selectTargets(client, op, input);
  const deadline = Date.now() + input.timeoutMs;
  const progress = input.wait ? await stderrProgress(client) : undefined;
  const budget = failureBudget(input.maxFailures, targets.length);
  const print = (r: TargetResult) => {
    const show = () => {
      printResult(host, r);
      for (const line of failureNotes(r)) host.note(line);
    };
    if (progress) progress.view.around(show);
    else show();
    return r;
  };
  const results = await runBudgeted(
    targets,
    input.concurrency,
    budget,
    async (t) => {
      const r = await operate(client, t, op, {
        wait: input.wait,
        deadline,
        onChange: progress?.onChange ?? (() => {}),
      });
      progress?.end(t.id, r.state ?? r.outcome);
      return print(r);
    },
    (t) => print(notStarted({ id: t.id, name: t.doc?.name, operation: op })),
  );
  await progress?.stop();
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
