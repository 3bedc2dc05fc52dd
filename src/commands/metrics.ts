import { Args, Flags } from '@oclif/core';
import { BaseCommand } from '../cli/base-command.js';
import { resolveInstance } from '../cli/instance-refs.js';
import { workspaceFlag } from '../cli/flags.js';
import { metricCharts, metricRows } from '../cli/render/monitoring.js';
import type { MetricsReply } from '../client/resources/msa.js';

export default class Metrics extends BaseCommand<typeof Metrics> {
  static override summary = "An instance's metrics: a chart on a terminal, rows in a pipe";
  static override examples = ['<%= config.bin %> metrics web-1 --metric cpu.used --since 6h --step 5m'];
  static override args = { instance: Args.string({ description: 'instance id or name', required: true }) };
  static override flags = {
    metric: Flags.string({ char: 'm', description: 'one metric (default: all of them)' }),
    since: Flags.string({ description: 'how far back', default: '1h' }),
    step: Flags.string({ description: 'bucket size', default: '1m' }),
    aggregate: Flags.string({
      description: 'per bucket',
      options: ['avg', 'min', 'max', 'last', 'p95'],
      default: 'avg',
    }),
    workspace: workspaceFlag,
  };

  async run(): Promise<MetricsReply> {
    const client = await this.client();
    const instance = await resolveInstance(client, this.args.instance, this.flags.workspace);
    const reply = await client.msa.metrics({
      instance: instance.id,
      ...(this.flags.metric ? { metric: this.flags.metric } : {}),
      since: this.flags.since,
      step: this.flags.step,
      aggregate: this.flags.aggregate,
    });
    if (this.stdoutTty) this.out(metricCharts(reply, await this.style(), process.stdout.columns ?? 80));
    else this.out(metricRows(reply));
    return reply;
  }
}
