import { Args, Flags } from '@oclif/core';
import { BaseCommand } from '../../cli/base-command.js';
import { timeoutFlag, workspaceFlag } from '../../cli/flags.js';
import { pullInstance, type PullResult } from '../../cli/instance-change-ops.js';
import { resolveInstance } from '../../cli/instance-refs.js';
import { finish, resultLine } from '../../cli/operations.js';
import { reasonLine } from '../../cli/render/plan.js';
import type { Instance } from '../../client/types.js';
import { displayState } from '../../client/wait.js';

export default class InstancesPull extends BaseCommand<typeof InstancesPull> {
  static override summary = "Move an instance to its box's latest version";
  static override description =
    'PUT /services/instances/{id}/pull. The server runs what the change requires: reinstall (install, then configure) when an install-phase script changed; reconfigure when a configure script or a variable value changed; nothing otherwise. The changes found are listed on stderr.';
  static override examples = [
    '<%= config.bin %> instances pull web',
    '<%= config.bin %> instances pull i-abc123 --box 3f1c…',
  ];
  static override args = { ref: Args.string({ description: 'instance id or name', required: true }) };
  static override flags = {
    box: Flags.string({ description: 'box version id to move to (default: the latest version)' }),
    wait: Flags.boolean({ description: 'wait for what the pull started', default: true, allowNo: true }),
    timeout: timeoutFlag('30m'),
    workspace: workspaceFlag,
  };

  async run(): Promise<PullResult> {
    const client = await this.client();
    const doc = await resolveInstance(client, this.args.ref, this.flags.workspace);
    const r = await pullInstance(client, doc, this.flags.box, {
      wait: this.flags.wait,
      deadline: Date.now() + this.flags.timeout,
      onChange: (i: Instance) => this.note(`${i.id}  ${displayState(i)}  (${i.operation?.event})`),
    });
    for (const c of r.changes ?? []) this.note(`  ${reasonLine(c as never)}`);
    if (r.scripts?.length) this.note(`  scripts: ${r.scripts.join(', ')}`);
    this.out(`${resultLine(r)}\n`);
    for (const line of r.activity ?? []) this.note(`  ${line}`);
    finish([r]);
    return r;
  }
}
