import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Transaction } from 'kysely';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { appendEvents, type NewEvent } from '../../src/server/events/log.js';
import type { BoxDoc } from '../../src/server/boxes/store.js';
import type { Db } from '../../src/server/store/db.js';
import { openTestStore } from '../helpers/store.js';
import type { Database } from '../../src/server/store/schema.js';
import { getInstance, insertInstance, updateInstance, type InstanceDoc } from '../../src/server/instances/store.js';
import {
  dispatchPending,
  membershipChanged,
  requestReconfigure,
  sweepPending,
} from '../../src/server/workflows/auto-reconfigure.js';
import { commitStep } from '../../src/server/workflows/engine.js';
import { claimNext } from '../../src/server/workflows/leases.js';
import { setMachineState, upsertMachine } from '../../src/server/workflows/store/machines.js';
import { insertWorkflow, openWorkflowOf } from '../../src/server/workflows/store/workflows.js';
import { newUuid } from '../../src/shared/ids.js';
import { timestamp } from '../../src/shared/time.js';
import { engineEnv } from './engine-env.js';

let dir: string;
let db: Db;

beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), 'ebcli-autoreconf-'));
  db = await openTestStore(join(dir, 'ebcli.db'));
});
afterEach(async () => {
  await db.destroy().catch(() => undefined);
  rmSync(dir, { recursive: true, force: true });
});

const box = (id: string, binding: boolean): BoxDoc =>
  ({
    id,
    name: id,
    schema: 'http://elasticbox.net/schemas/boxes/script',
    variables: binding ? [{ name: 'svc', type: 'Binding', value: 'AnyBox' }] : [],
  }) as unknown as BoxDoc;

interface Spec {
  tags?: string[];
  /** Tags the instance's `svc` binding asks for (no binding when absent). */
  bindTo?: string[];
  state?: InstanceDoc['state'];
  event?: string;
  auto?: boolean;
  bindings?: string[];
}

/** Stores an instance with a running machine; a dependent binds `svc` to `bindTo` tags. */
async function instance(id: string, s: Spec = {}): Promise<InstanceDoc> {
  const now = timestamp();
  const doc: InstanceDoc = {
    id,
    uri: `/services/instances/${id}`,
    schema: 'http://elasticbox.net/schemas/instance',
    name: id,
    owner: 'admin',
    box: `box-${id}`,
    state: s.state ?? 'done',
    operation: { event: s.event ?? 'deploy', workspace: 'admin', created: now },
    boxes: [box(`box-${id}`, !!s.bindTo)],
    variables: s.bindTo ? [{ name: 'svc', type: 'Binding', value: '', tags: s.bindTo }] : [],
    tags: s.tags ?? [],
    bindings: (s.bindings ?? []).map((instance) => ({ instance, name: 'svc', scope: '' })),
    members: [],
    automatic_reconfiguration: s.auto ?? true,
    service: { type: 'Linux Compute', id: `eb-${id}`, machines: [] },
    created: now,
    updated: now,
    deleted: null,
  };
  await insertInstance(db, doc, null);
  const machine = `${id}-m`;
  const address = { public: '127.0.0.1', private: '127.0.0.1' };
  await upsertMachine(db, {
    name: machine,
    instanceId: id,
    workspace: 'admin',
    serviceId: 'eb',
    providerId: 'p',
    token: newUuid(),
    address,
  });
  await setMachineState(db, machine, 'running');
  return doc;
}

/** Gives an instance an open one-step workflow, as if an operation were running on it. */
async function busyWith(id: string): Promise<string> {
  const wf = newUuid();
  const doc = (await getInstance(db, id)) as InstanceDoc;
  await updateInstance(db, { ...doc, state: 'processing', operation: { ...doc.operation, event: 'reconfigure' } });
  await insertWorkflow(db, {
    id: wf,
    instanceId: id,
    workspace: 'admin',
    operation: 'reconfigure',
    plan: [{ kind: 'bindings' }],
    username: 'admin',
    requestId: wf,
    created: timestamp(),
  });
  return wf;
}

async function inTrx<T>(fn: (trx: Transaction<Database>, events: NewEvent[]) => Promise<T>): Promise<T> {
  return db.transaction().execute(async (trx) => {
    const events: NewEvent[] = [];
    const out = await fn(trx, events);
    if (events.length) await appendEvents(trx, events);
    return out;
  });
}

const reconfigures = (id: string) =>
  db
    .selectFrom('workflows')
    .select(['username', 'state'])
    .where('instance_id', '=', id)
    .where('operation', '=', 'reconfigure')
    .execute();
const pendingRows = () => db.selectFrom('pending_reconfigures').selectAll().execute();

/** Ends an instance's open workflow through the engine (the step sets bindings if given). */
async function finish(wfId: string, bindings?: string[]): Promise<void> {
  const env = engineEnv(db);
  const wf = await claimNext(db, 'owner-1', 60_000);
  expect(wf?.id).toBe(wfId);
  const refs = bindings?.map((instance) => ({ instance, name: 'svc', scope: '' }));
  await commitStep(env, wf!, 0, 'owner-1', {
    ok: true,
    result: {},
    commit: refs
      ? async (trx) => {
          const doc = (await getInstance(trx, wf!.instanceId)) as InstanceDoc;
          await updateInstance(trx, { ...doc, bindings: refs });
        }
      : undefined,
  });
}

describe('automatic reconfiguration', () => {
  it('reconfigures idle dependents whose bindings gain or lose the target, and only those', async () => {
    await instance('i-target', { tags: ['web'] });
    await instance('i-joins', { bindTo: ['web'] });
    await instance('i-current', { bindTo: ['web'], bindings: ['i-target'] });
    await instance('i-manual', { bindTo: ['web'], auto: false });
    await instance('i-stopped', { bindTo: ['web'], event: 'shutdown_service' });
    await instance('i-failed', { bindTo: ['web'], state: 'unavailable' });
    await instance('i-other', { bindTo: ['db'] });

    expect(await inTrx((trx, ev) => membershipChanged(trx, 'i-target', ev))).toBe(1);
    expect(await reconfigures('i-joins')).toEqual([{ username: 'automatic', state: 'pending' }]);
    for (const id of ['i-current', 'i-manual', 'i-stopped', 'i-failed', 'i-other']) {
      expect(await reconfigures(id)).toEqual([]);
    }
    const joined = (await getInstance(db, 'i-joins')) as InstanceDoc;
    expect(joined).toMatchObject({ state: 'processing', operation: { event: 'reconfigure' } });
    expect(await pendingRows()).toEqual([]);

    // The target leaves (tags removed): the dependent that had it is reconfigured.
    const t = (await getInstance(db, 'i-target')) as InstanceDoc;
    await updateInstance(db, { ...t, tags: [] });
    expect(await inTrx((trx, ev) => membershipChanged(trx, 'i-target', ev))).toBe(1);
    expect(await reconfigures('i-current')).toEqual([{ username: 'automatic', state: 'pending' }]);
  });

  it('queues a busy dependent once for several changes and starts it when its workflow ends', async () => {
    await instance('i-a', { tags: ['web'] });
    await instance('i-b', { tags: ['web'] });
    await instance('i-dep', { bindTo: ['web'] });
    const running = await busyWith('i-dep');

    expect(await inTrx((trx, ev) => membershipChanged(trx, 'i-a', ev))).toBe(0);
    expect(await inTrx((trx, ev) => membershipChanged(trx, 'i-b', ev))).toBe(0);
    const rows = await pendingRows();
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ instance_id: 'i-dep', forced: 0 });
    expect(JSON.parse(rows[0]!.causes)).toEqual([
      'instance i-a joined its bindings.',
      'instance i-b joined its bindings.',
    ]);
    expect((await openWorkflowOf(db, 'i-dep'))?.id).toBe(running);

    // The queued reconfigure survives a restart of the store.
    await db.destroy();
    db = await openTestStore(join(dir, 'ebcli.db'));
    await finish(running);
    expect(await pendingRows()).toEqual([]);
    const opened = await openWorkflowOf(db, 'i-dep');
    expect(opened).toMatchObject({ operation: 'reconfigure', username: 'automatic', state: 'pending' });
    const activity = await db.selectFrom('activities').select('text').where('workflow_id', '=', opened!.id).execute();
    expect(activity.map((a) => a.text)).toEqual([
      'Reconfiguring instance.',
      'Automatic reconfiguration: instance i-a joined its bindings. instance i-b joined its bindings.',
    ]);
  });

  it('drops a queued binding change the finished workflow already picked up, but not a notify', async () => {
    await instance('i-t', { tags: ['web'] });
    await instance('i-dep', { bindTo: ['web'] });
    const first = await busyWith('i-dep');
    await inTrx((trx, ev) => membershipChanged(trx, 'i-t', ev));
    expect(await pendingRows()).toHaveLength(1);
    await finish(first, ['i-t']);
    expect(await pendingRows()).toEqual([]);
    expect(await openWorkflowOf(db, 'i-dep')).toBeUndefined();

    const second = await busyWith('i-dep');
    const dep = (await getInstance(db, 'i-dep')) as InstanceDoc;
    const cause = { text: 'instance i-t ran elasticbox notify.', forced: true };
    expect(await inTrx((trx, ev) => requestReconfigure(trx, dep, cause, ev))).toBe('queued');
    await finish(second, ['i-t']);
    expect(await openWorkflowOf(db, 'i-dep')).toMatchObject({ operation: 'reconfigure', username: 'agent' });
  });

  it('drops a queued reconfigure of an instance that is no longer reconfigurable', async () => {
    await instance('i-t', { tags: ['web'] });
    await instance('i-dep', { bindTo: ['web'] });
    await busyWith('i-dep');
    await inTrx((trx, ev) => membershipChanged(trx, 'i-t', ev));
    const dep = (await getInstance(db, 'i-dep')) as InstanceDoc;
    await updateInstance(db, { ...dep, state: 'done', operation: { ...dep.operation, event: 'shutdown_service' } });
    await db.updateTable('workflows').set({ state: 'done', open_for: null }).execute();
    expect(await inTrx((trx, ev) => dispatchPending(trx, 'i-dep', ev))).toBe(false);
    expect(await pendingRows()).toEqual([]);
    expect(await reconfigures('i-dep')).toEqual([{ username: 'admin', state: 'done' }]);
  });

  it('starts queued reconfigures of idle instances at start-up', async () => {
    await instance('i-t', { tags: ['web'] });
    await instance('i-dep', { bindTo: ['web'] });
    await busyWith('i-dep');
    await inTrx((trx, ev) => membershipChanged(trx, 'i-t', ev));
    // As if the process died after the workflow ended but the dispatch was never reached.
    const dep = (await getInstance(db, 'i-dep')) as InstanceDoc;
    await updateInstance(db, { ...dep, state: 'done' });
    await db.updateTable('workflows').set({ state: 'done', open_for: null }).execute();
    expect(await sweepPending(engineEnv(db))).toBe(1);
    expect(await sweepPending(engineEnv(db))).toBe(0);
    expect(await openWorkflowOf(db, 'i-dep')).toMatchObject({ operation: 'reconfigure', username: 'automatic' });
  });
});
