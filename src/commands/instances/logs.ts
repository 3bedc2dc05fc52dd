import { Args, Flags } from '@oclif/core';
import { BaseCommand } from '../../cli/base-command.js';
import { followInstanceLogs, streamHost } from '../../cli/follow.js';
import { resolveInstance } from '../../cli/instance-refs.js';
import { ALIAS_EVENTS, CANONICAL_EVENTS } from '../../shared/box-format.js';

export interface LogsResult {
  id: string;
  machine: string;
  lines: string[];
}

export default class InstancesLogs extends BaseCommand<typeof InstancesLogs> {
  static override summary = 'Print the script output of an instance';
  static override args = { id: Args.string({ description: 'instance id or name', required: true }) };
  static override flags = {
    event: Flags.string({ description: 'only this event', options: [...CANONICAL_EVENTS, ...ALIAS_EVENTS] }),
    machine: Flags.string({ description: 'machine name (default: every machine of the instance)' }),
    operation: Flags.string({ description: 'only this operation (deploy, reconfigure, …)' }),
    lines: Flags.integer({ char: 'n', description: 'only the last N lines', min: 0 }),
    follow: Flags.boolean({
      char: 'f',
      description: 'follow live output until the running operation ends; exit with its outcome (--json: NDJSON)',
      exclusive: ['machine', 'operation'],
    }),
  };

  async run(): Promise<LogsResult[] | undefined> {
    if (this.flags.follow) {
      const host = streamHost(this.host(), () => this.settings(), await this.style());
      await followInstanceLogs(host, this.args.id, { lines: this.flags.lines, event: this.flags.event });
      return undefined;
    }
    const client = await this.client();
    const { id } = await resolveInstance(client, this.args.id);
    let machines = this.flags.machine ? [this.flags.machine] : [];
    if (!this.flags.machine) {
      const service = await client.instances.service(id).catch(() => undefined);
      machines = (service?.machines ?? []).map((m) => m.name);
      if (machines.length === 0) {
        this.note(`Instance ${id} has no machines (yet), so no script output.`);
      }
    }
    const results: LogsResult[] = [];
    for (const machine of machines) {
      const text = await client.instances.machineLogs(id, {
        machine_name: machine,
        event: this.flags.event,
        operation: this.flags.operation,
      });
      let lines = text.split('\n');
      if (lines.at(-1) === '') lines.pop();
      const n = this.flags.lines;
      if (n !== undefined) lines = n === 0 ? [] : lines.slice(-n);
      if (machines.length > 1) this.note(`== ${machine} ==`);
      this.out(lines.map((l) => `${l}\n`).join(''));
      results.push({ id, machine, lines });
    }
    return results;
  }
}
