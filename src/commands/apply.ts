import { Args, Flags } from '@oclif/core';
import { BaseCommand } from '../cli/base-command.js';
import { planApply, runApply, type ApplyResult } from '../cli/apply-run.js';
import type { PlannedInstance } from '../cli/apply-plan.js';
import { planDeploys } from '../cli/deploy-plan.js';
import { OperationFailedError, PartialFailureError } from '../cli/errors.js';
import {
  concurrencyFlag,
  instanceTagFlag,
  maxFailuresFlag,
  timeoutFlag,
  variableFlag,
  variableOverrides,
  workspaceFlag,
} from '../cli/flags.js';
import { failureBudget, finish, resultLine } from '../cli/operations.js';
import { renderPlan } from '../cli/render/plan.js';
import type { Box, Instance } from '../client/types.js';
import { displayState } from '../client/wait.js';

export interface ApplyOutput {
  plan: PlannedInstance[];
  results?: ApplyResult[];
}

export default class Apply extends BaseCommand<typeof Apply> {
  static override summary = 'Bring instances to what a box folder or application document describes (idempotent)';
  static override description =
    'Declarative, like `nomad job run`: instances are matched by name in the workspace. A missing one is deployed; an existing one is moved to the box version and variables given, running only what the change requires (changed variables or configure scripts: reconfigure; changed install scripts: reinstall); an unchanged one is left alone, so a second identical run changes nothing and exits 0. An instance busy with an operation is waited for, not duplicated. The plan is printed first (on stderr; on stdout with --dry-run).';
  static override examples = [
    '<%= config.bin %> apply ./examples/boxes/hello -v GREETING=hi --dry-run',
    '<%= config.bin %> apply app.yaml -t staging --max-failures 1',
  ];
  static override args = {
    target: Args.string({ description: 'box folder or application document (.yaml)', required: true }),
  };
  static override flags = {
    variable: variableFlag,
    tag: instanceTagFlag,
    name: Flags.string({ description: 'instance name for a box folder (default: the box name)' }),
    policy: Flags.string({ description: 'policy box id (for instances created)', exclusive: ['claim'] }),
    claim: Flags.string({ char: 'c', description: 'policy claims (repeatable)', multiple: true }),
    workspace: workspaceFlag,
    'dry-run': Flags.boolean({ description: 'print the plan only; import and change nothing' }),
    'max-failures': maxFailuresFlag,
    concurrency: concurrencyFlag,
    wait: Flags.boolean({ description: 'wait for every operation to finish', default: true, allowNo: true }),
    timeout: timeoutFlag('30m'),
  };

  async run(): Promise<ApplyOutput> {
    const variables = variableOverrides(this.flags.variable);
    failureBudget(this.flags['max-failures'], 1);
    const dryRun = this.flags['dry-run'];
    const client = await this.client();
    const workspace = await this.workspace(this.flags.workspace);
    const virtual = new Map<string, Box[]>();
    const planned = await planDeploys(client, this.args.target, {
      workspace,
      name: this.flags.name,
      variables,
      tags: this.flags.tag ?? [],
      policy: this.flags.policy,
      claims: this.flags.claim ?? [],
      note: (m) => this.note(m),
      dryRun,
      virtual,
    });
    const wanted = await Promise.all(
      planned.map(async (p) => ({ ...p, stack: virtual.get(p.box.id) ?? (await client.boxes.stack(p.box.id)) })),
    );
    const deadline = Date.now() + this.flags.timeout;
    const onChange = (doc: Instance) => this.note(`${doc.id}  ${displayState(doc)}  (${doc.operation?.event})`);
    const note = (m: string) => this.note(m);
    const steps = await planApply(client, wanted, { workspace, waitBusy: !dryRun, deadline, note, onChange });
    const plan = steps.map((s) => s.plan);
    if (dryRun) {
      this.out(renderPlan(plan));
      return { plan };
    }
    this.note(renderPlan(plan).trimEnd());
    const results = await runApply(client, steps, {
      concurrency: this.flags.concurrency,
      maxFailures: failureBudget(this.flags['max-failures'], steps.length),
      wait: this.flags.wait,
      deadline,
      onChange,
      onResult: (r) => {
        this.out(`${resultLine(r)}\t${r.action}\n`);
        for (const line of r.activity ?? []) this.note(`  ${line}`);
      },
    });
    try {
      finish(results);
    } catch (err) {
      // Under --json the error carries the plan with the per-target results.
      if (err instanceof PartialFailureError) throw new PartialFailureError(err.message, { plan, results });
      if (err instanceof OperationFailedError) throw new OperationFailedError(err.message, { plan, results });
      throw err;
    }
    return { plan, results };
  }
}
