/**
 * The `Existing Machines` provider: a pool of registered machines (hosts running the installed
 * agent, `ebcli machines register`). Provisioning takes a free machine of the instance's workspace
 * whose claims include every claim of the instance's policy, and serves it under the deploy's
 * machine name (its agent reconnects once to be bound to it); destroying asks the agent to remove
 * the instance folder and frees the machine. Nothing else on the host is touched.
 */
import { sql, type Transaction } from 'kysely';
import type { Db } from '../store/db.js';
import type { Database } from '../store/schema.js';
import { getInstance } from '../instances/store.js';
import type { AgentChannel } from '../workflows/env.js';
import { CloseCode } from '../../shared/protocol.js';
import { timestamp } from '../../shared/time.js';
import { RemoteHostProvider } from './remote-host.js';
import type { MachineSpec } from './types.js';

/** Free machines read per query while looking for one whose claims fit. */
const FREE_PAGE = 64;

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

  /** The first free machine of `workspace` with every wanted claim, skipping `skip`. */
  private async freeMachine(trx: Transaction<Database>, workspace: string, wanted: string[], skip: Set<string>) {
    // A page at a time: the first free machines nearly always fit, and a pool of thousands
    // should not be read whole by every deploy (T8).
    for (let offset = 0; ; offset += FREE_PAGE) {
      const free = await trx
        .selectFrom('registered_machines')
        .selectAll()
        .where('workspace', '=', workspace)
        .where('instance_id', 'is', null)
        .orderBy(sql`connected`, 'desc')
        .orderBy('created')
        .orderBy('id')
        .limit(FREE_PAGE)
        .offset(offset)
        .execute();
      const pick = free.find((m) => {
        if (skip.has(m.id)) return false;
        const claims = new Set(JSON.parse(m.claims) as string[]);
        return wanted.every((c) => claims.has(c));
      });
      if (pick || free.length < FREE_PAGE) return pick;
    }
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
      // Another deploy (on another replica) may take the machine picked here between the read and
      // the update: the update then changes no row and the next free machine is tried. Returning
      // the pick anyway gave two instances one machine on PostgreSQL (found by the replica SIGKILL
      // campaign: 97 of 500 deploys waited for ever for an agent bound to another instance).
      const lost = new Set<string>();
      for (;;) {
        const pick = await this.freeMachine(trx, doc.owner, wanted, lost);
        if (!pick) return undefined;
        const took = await trx
          .updateTable('registered_machines')
          .set({ instance_id: spec.instanceId, machine_name: spec.name, updated: timestamp() })
          .where('id', '=', pick.id)
          .where('instance_id', 'is', null)
          .executeTakeFirst();
        if (took.numUpdatedRows === 1n) return pick;
        lost.add(pick.id);
      }
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
