import { Args, Flags } from '@oclif/core';
import { BaseCommand } from '../cli/base-command.js';
import { consoleUrl } from '../cli/console-link.js';
import { instanceTagFlag, timeoutFlag, variableFlag, variableOverrides, workspaceFlag } from '../cli/flags.js';
import { planDeploys } from '../cli/deploy-plan.js';
import { chooseBox } from '../cli/deploy-prompts.js';
import {
  awaitOutcome,
  errorResult,
  failureNotes,
  finish,
  resultLine,
  runPool,
  type TargetResult,
} from '../cli/operations.js';
import { ApiError } from '../client/errors.js';
import type { Instance } from '../client/types.js';
import { COMPLETION_EVENTS, displayState } from '../client/wait.js';

export default class Deploy extends BaseCommand<typeof Deploy> {
  static override summary = 'Deploy a box folder, a box (name or id) or an application document';
  static override description =
    'A box folder is imported first. Waits for the deploy to finish by default, printing progress on stderr: exit 0 when the instance is running, 1 when it ended unavailable (the failing activity is shown), 3 when --timeout passed first.';

  static override examples = [
    '<%= config.bin %> deploy ./examples/boxes/hello -v GREETING=hi -t demo',
    '<%= config.bin %> deploy "Nginx Web" --name web-1 -c linux --timeout 15m',
    '<%= config.bin %> deploy app.yaml -t staging --no-wait',
  ];

  static override args = {
    target: Args.string({
      description: 'box folder, box name or id, or application document (.yaml); on a TTY, omit it to choose a box',
    }),
  };

  static override flags = {
    variable: variableFlag,
    tag: instanceTagFlag,
    name: Flags.string({ description: 'instance name (default: the box name)' }),
    policy: Flags.string({ description: 'policy box id', exclusive: ['claim'] }),
    claim: Flags.string({
      char: 'c',
      description: 'pick the first policy box with these claims (repeatable)',
      multiple: true,
    }),
    workspace: workspaceFlag,
    wait: Flags.boolean({ description: 'wait until the deploy finishes', default: true, allowNo: true }),
    timeout: timeoutFlag('30m'),
    follow: Flags.boolean({
      description: 'stream the events and script output until the deploy ends (implies --wait; --json: NDJSON)',
    }),
  };

  async run(): Promise<TargetResult[]> {
    const variables = variableOverrides(this.flags.variable);
    const client = await this.client();
    // Looked up only when needed: a deploy of a box id leaves the default workspace to the server.
    let workspace = this.configuredWorkspace(this.flags.workspace);
    const defaultWorkspace = async () => (workspace ??= await this.workspace());
    const target = this.args.target ?? (await chooseBox(client, await defaultWorkspace()));
    const planned = await planDeploys(client, target, {
      workspace,
      defaultWorkspace,
      name: this.flags.name,
      variables,
      tags: this.flags.tag ?? [],
      policy: this.flags.policy,
      claims: this.flags.claim ?? [],
      note: (m) => this.note(m),
    });
    const deadline = Date.now() + this.flags.timeout;
    // Following and progress load only when used: `deploy --no-wait` starts without the event-stream code.
    const follow = this.flags.follow ? await import('../cli/follow.js') : undefined;
    const since = follow ? await follow.currentHead(client, await defaultWorkspace()) : undefined;
    const started: { base: TargetResult; instance?: Instance }[] = [];
    for (const p of planned) {
      const base: TargetResult = { id: '', name: p.name, operation: 'deploy', outcome: 'accepted', exitCode: 0 };
      try {
        const instances = p.application
          ? await client.instances.deployApplication(p.request)
          : [await client.instances.deploy(p.request)];
        for (const instance of instances) {
          this.note(`Deploying ${p.box.name} as ${instance.name} (${instance.id}) in workspace ${instance.owner}`);
          if (this.stdoutTty) this.note(`  console: ${consoleUrl(client.baseUrl, instance)}`);
          const state = displayState(instance);
          started.push({ base: { ...base, name: instance.name, id: instance.id, state }, instance });
        }
      } catch (err) {
        const r = errorResult({ ...base, id: p.name }, err);
        // deploy is imperative: an existing name is refused; apply is the command that updates it.
        if (err instanceof ApiError && err.code === 'already_exists')
          r.message = `${r.message}: to bring it to this box and these variables, run \`ebcli apply\` instead`;
        started.push({ base: r });
      }
    }
    const waiting = this.flags.wait && !this.flags.follow;
    const progress = waiting ? await (await import('../cli/progress.js')).stderrProgress(client) : undefined;
    for (const { instance } of started) if (instance && progress) progress.begin(instance);
    const followed = follow
      ? await follow.followOperations(
          follow.streamHost(this.host(), () => this.settings(), await this.style()),
          started.flatMap(({ base, instance }) =>
            instance ? [{ id: instance.id, operation: 'deploy', after: instance.updated, base }] : [],
          ),
          { workspace, since, deadline },
        )
      : [];
    const results = await runPool(started, started.length || 1, async ({ base, instance }) => {
      const r =
        followed.find((f) => f.id === base.id) ??
        (instance && this.flags.wait
          ? await awaitOutcome(
              { client, deadline, onChange: progress?.onChange ?? (() => {}) },
              { id: instance.id, events: COMPLETION_EVENTS.deploy, operationCreated: instance.operation?.created },
              base,
            )
          : base);
      progress?.end(r.id, r.state ?? r.outcome);
      const print = () => {
        this.out(`${resultLine(r)}\n`);
        for (const line of failureNotes(r)) this.note(line);
      };
      if (progress) progress.view.around(print);
      else print();
      return r;
    });
    await progress?.stop();
    finish(results);
    return results;
  }
}
