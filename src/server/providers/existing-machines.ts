/**
 * The `Existing Machines` provider: a pool of registered machines (hosts running the installed
 * agent, `ebcli machines register`). Provisioning takes a free machine of the instance's workspace
 * whose claims include every claim of the instance's policy, and serves it under the deploy's
 * machine name (its agent reconnects once to be bound to it); destroying asks the agent to remove
 * the instance folder and frees the machine. Nothing else on the host is touched.
 */
import { sql } from 'kysely';
import type { Db } from '../store/db.js';
import { getInstance } from '../store/instances.js';
import type { AgentChannel } from '../workflows/env.js';
import { CloseCode } from '../../shared/protocol.js';
import { timestamp } from '../../shared/time.js';
import { RemoteHostProvider } from './remote-host.js';
import type { MachineSpec } from './types.js';

const strings = (v: unknown): string[] => (Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : []);

export class ExistingMachinesProvider extends RemoteHostProvider {
  readonly kind = 'existing';

  constructor(
    private readonly db: Db,
    agents: () => AgentChannel,
  ) {
    super(agents);
  }

  /** The registered machine serving `name`, if any. */
  private async held(name: string) {
    return this.db.selectFrom('registered_machines').selectAll().where('machine_name', '=', name).executeTakeFirst();
  }

  async provision(spec: MachineSpec) {
    const doc = await getInstance(this.db, spec.instanceId);
    if (!doc) throw new Error(`instance ${spec.instanceId} no longer exists`);
    const wanted = strings((doc.policy_box as { claims?: unknown } | undefined)?.claims);
    const taken = await this.db.transaction().execute(async (trx) => {
      const mine = await trx
        .selectFrom('registered_machines')
        .selectAll()
        .where('machine_name', '=', spec.name)
        .executeTakeFirst();
      if (mine) return mine;
      const free = await trx
        .selectFrom('registered_machines')
        .selectAll()
        .where('workspace', '=', doc.owner)
        .where('instance_id', 'is', null)
        .orderBy(sql`connected`, 'desc')
        .orderBy('created')
        .execute();
      const pick = free.find((m) => {
        const claims = new Set(JSON.parse(m.claims) as string[]);
        return wanted.every((c) => claims.has(c));
      });
      if (!pick) return undefined;
      await trx
        .updateTable('registered_machines')
        .set({ instance_id: spec.instanceId, machine_name: spec.name, updated: timestamp() })
        .where('id', '=', pick.id)
        .where('instance_id', 'is', null)
        .execute();
      return pick;
    });
    if (!taken) {
      const claims = wanted.length ? ` with claims ${wanted.join(', ')}` : '';
      throw new Error(
        `no free registered machine${claims} in workspace ${doc.owner}: register one with ebcli machines register`,
      );
    }
    // Connected under its own id: reconnect, to be served under the deploy's machine name.
    this.agents().disconnect(taken.id, CloseCode.goingAway, 'taken by a deploy');
    const address = taken.address ?? '';
    return { agentPid: 0, address: { public: address, private: address } };
  }

  async destroy(name: string): Promise<void> {
    const m = await this.held(name);
    if (!m) return;
    if (m.instance_id) this.agents().send(name, { type: 'cleanup', instanceId: m.instance_id });
    await this.db
      .updateTable('registered_machines')
      .set({ instance_id: null, machine_name: null, updated: timestamp() })
      .where('id', '=', m.id)
      .execute();
  }
}
