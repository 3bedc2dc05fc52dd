import { Args } from '@oclif/core';
import { BaseCommand } from '../../cli/base-command.js';
import { resolveInstance } from '../../cli/instance-refs.js';
import type { Activity, Instance } from '../../client/types.js';
import { displayState } from '../../client/wait.js';

export interface InstanceDetail {
  instance: Instance;
  state: string;
  lastActivity?: Activity;
}

const SECRET = /password|secret|token|key/i;

/** Masks Password variables (and names that look secret) in a copy of the document. */
export function maskSecrets(doc: Instance): Instance {
  const variables = (doc.variables ?? []).map((v) =>
    v.type === 'Password' || (SECRET.test(v.name) && v.type !== 'Box' && v.type !== 'Binding')
      ? { ...v, value: '****' }
      : v,
  );
  return { ...doc, variables };
}

export default class InstancesShow extends BaseCommand<typeof InstancesShow> {
  static override summary = 'Show one instance: state, operation, variables (secrets masked), machines, last activity';
  static override args = { id: Args.string({ description: 'instance id or name', required: true }) };

  async run(): Promise<InstanceDetail> {
    const client = await this.client();
    const instance = maskSecrets(await resolveInstance(client, this.args.id));
    const activity = await client.instances.activity(instance.id).catch(() => [] as Activity[]);
    const lastActivity = activity.at(-1);
    const machines = instance.service?.machines ?? [];
    await this.fields([
      ['id', instance.id],
      ['name', instance.name],
      ['state', `${displayState(instance)} (${instance.state})`],
      ['operation', instance.operation?.event],
      ['owner', instance.owner],
      ['box', instance.box],
      ['tags', instance.tags],
      ['variables', (instance.variables ?? []).map((v) => `${v.scope ? `${v.scope}.` : ''}${v.name}=${v.value ?? ''}`)],
      [
        'machines',
        machines.map(
          (m) => `${m.name}${m.address?.private ? ` ${m.address.private}` : ''}${m.state ? ` ${m.state}` : ''}`,
        ),
      ],
      ['last activity', lastActivity ? `${lastActivity.created} ${lastActivity.text}` : undefined],
      ['updated', instance.updated],
    ]);
    return { instance, state: displayState(instance), ...(lastActivity ? { lastActivity } : {}) };
  }
}
