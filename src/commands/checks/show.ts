import { Args } from '@oclif/core';
import { BaseCommand } from '../../cli/base-command.js';
import type { Check } from '../../client/resources/msa.js';

export default class ChecksShow extends BaseCommand<typeof ChecksShow> {
  static override summary = 'Show one monitoring check';
  static override args = { check: Args.string({ description: 'check name or id', required: true }) };

  async run(): Promise<Check> {
    const client = await this.client();
    const c = await client.msa.check(this.args.check);
    await this.fields([
      ['id', c.id],
      ['name', c.name],
      ['owner', c.owner],
      ['version', c.version],
      ['command', c.command],
      ['builtin', c.builtin],
      ['interval', `${c.interval}s`],
      ['timeout', c.timeout !== undefined ? `${c.timeout}s` : undefined],
      ['thresholds', c.thresholds],
      ['metrics format', c.output_metric_format],
      ['target', c.target],
      ['updated', c.updated],
    ]);
    return c;
  }
}
