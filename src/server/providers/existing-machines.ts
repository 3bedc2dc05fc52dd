/**
 * The `Existing Machines` provider: a pool of registered machines (hosts running the installed
 * agent, `ebcli machines register`). Provisioning takes a free machine of the instance's workspace
 * whose claims include every claim of the instance's policy, and serves it under the deploy's
 * machine name (its agent reconnects once to be bound to it); destroying asks the agent to remove
 * the instance folder and frees the machine. Nothing else on the host is touched.
 */
import { sql } from 'kysely';
import type { Db } from '../store/db.js';
import type { RegisteredMachinesTable } from '../store/schema.js';
import { getInstance } from '../store/instances.js';
import type { AgentChannel } from '../workflows/env.js';
import { CloseCode } from '../../shared/protocol.js';
import { timestamp } from '../../shared/time.js';
import type { AgentProcess, MachineSpec, Provider } from './types.js';

/** Free machines read per query while looking for one whose claims fit. */
const FREE_PAGE = 64;

const strings = (v: unknown): string[] => (Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : []);

export class ExistingMachinesProvider implements Provider {
  readonly kind = 'existing';

  constructor(
    private readonly db: Db,
    private readonly agents: () => AgentChannel,
  ) {}

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
      // A page at a time: the first free machines nearly always fit, and a pool of thousands
      // should not be read whole by every deploy (T8).
      let pick: RegisteredMachinesTable | undefined;
      for (let offset = 0; !pick; offset += FREE_PAGE) {
        const free = await trx
          .selectFrom('registered_machines')
          .selectAll()
          .where('workspace', '=', doc.owner)
          .where('instance_id', 'is', null)
          .orderBy(sql`connected`, 'desc')
          .orderBy('created')
          .orderBy('id')
          .limit(FREE_PAGE)
          .offset(offset)
          .execute();
        pick = free.find((m) => {
          const claims = new Set(JSON.parse(m.claims) as string[]);
          return wanted.every((c) => claims.has(c));
        });
        if (free.length < FREE_PAGE) break;
      }
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

  existingToken(): string | undefined {
    return undefined;
  }

  async boot(): Promise<AgentProcess> {
    return { agentPid: 0 };
  }

  async reboot(spec: MachineSpec): Promise<AgentProcess> {
    this.agents().disconnect(spec.name, CloseCode.goingAway, 'reboot');
    return { agentPid: 0 };
  }

  async powerOff(): Promise<void> {
    // The host is not ours to power off.
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

  agentAlive(name: string): boolean {
    return this.agents().session(name) !== undefined;
  }
}
