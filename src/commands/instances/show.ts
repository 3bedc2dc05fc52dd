import { Args } from '@oclif/core';
import { BaseCommand } from '../../cli/base-command.js';
import { consoleUrl } from '../../cli/console-link.js';
import { resolveInstance } from '../../cli/instance-refs.js';
import type { Activity, Instance } from '../../client/types.js';
import type { CheckState } from '../../client/resources/msa.js';
import { displayState } from '../../client/wait.js';

export interface InstanceDetail {
  instance: Instance;
  state: string;
  lastActivity?: Activity;
  /** Monitoring: each machine's check states. */
  checks?: CheckState[];
}

const SECRET = /password|secret|token|key/i;

const isSecret = (v: { name?: unknown; type?: unknown }) =>
  v.type === 'Password' ||
  (typeof v.name === 'string' && SECRET.test(v.name) && v.type !== 'Box' && v.type !== 'Binding');

/** A copy of `value` where every variable of every `variables` list, at any depth, is masked when secret. */
function maskDeep(value: unknown, inVariables = false): unknown {
  if (Array.isArray(value)) return value.map((item) => maskDeep(item, inVariables));
  if (!value || typeof value !== 'object') return value;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) out[k] = maskDeep(v, k === 'variables');
  if (inVariables && 'value' in out && isSecret(out)) out.value = '****';
  return out;
}

/**
 * Masks Password variables (and names that look secret) in a copy of the document: the instance's
 * own variables and those of its boxes (their defaults), as the human and the JSON output show them.
 */
export function maskSecrets(doc: Instance): Instance {
  return maskDeep({ ...doc, variables: doc.variables ?? [] }) as Instance;
}

export default class InstancesShow extends BaseCommand<typeof InstancesShow> {
  static override summary = 'Show one instance: state, operation, variables (secrets masked), machines, last activity';
  static override args = { id: Args.string({ description: 'instance id or name', required: true }) };

  async run(): Promise<InstanceDetail> {
    const client = await this.client();
    const instance = maskSecrets(await resolveInstance(client, this.args.id));
    const activity = await client.instances.activity(instance.id).catch(() => [] as Activity[]);
    const lastActivity = activity.at(-1);
    const checks = await client.msa.results(instance.id).catch(() => [] as CheckState[]);
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
      [
        'checks',
        checks.map((c) => `${c.check} ${c.status.toUpperCase()}${c.flapping ? ' flapping' : ''} (${c.machine})`),
      ],
      ['last activity', lastActivity ? `${lastActivity.created} ${lastActivity.text}` : undefined],
      ['updated', instance.updated],
      ...(this.stdoutTty ? [['console', consoleUrl(client.baseUrl, instance)] as [string, unknown]] : []),
    ]);
    return {
      instance,
      state: displayState(instance),
      ...(lastActivity ? { lastActivity } : {}),
      ...(checks.length ? { checks } : {}),
    };
  }
}
