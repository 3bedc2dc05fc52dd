import { describe, expect, it } from 'vitest';
import type { BoxDoc } from '../../src/server/boxes/store.js';
import { treeFromStack } from '../../src/server/instances/variable-overrides.js';
import { buildPlan, phaseScripts, planNode, wrapWithAdmins, type PlanNode } from '../../src/server/workflows/plan.js';
import type { Phase, StepSpec } from '../../src/server/workflows/types.js';

const ALL_EVENTS = [
  'pre_install',
  'install',
  'pre_configure',
  'configure',
  'pre_start',
  'start',
  'stop',
  'post_stop',
  'dispose',
  'post_dispose',
];

function box(id: string, opts: { events?: string[]; children?: [string, string][] } = {}): BoxDoc {
  const events = Object.fromEntries(
    (opts.events ?? ALL_EVENTS).map((e) => [e, { url: `/services/blobs/download/${id}/${e}` }]),
  );
  return {
    id,
    uri: `/services/boxes/${id}`,
    schema: 'http://elasticbox.net/schemas/boxes/script',
    name: id,
    owner: 'admin',
    created: '',
    updated: '',
    events,
    variables: (opts.children ?? []).map(([name, value]) => ({ name, type: 'Box', value })),
  };
}

/** A → B → C through Box variables `b` and `c`. */
function tree(events?: string[]): PlanNode {
  const stack = [
    box('A', { events, children: [['b', 'B']] }),
    box('B', { events, children: [['c', 'C']] }),
    box('C', { events }),
  ];
  return planNode(treeFromStack(stack)!);
}

const order = (root: PlanNode, phase: Phase) => phaseScripts(root, phase, 'm').map((s) => `${s.boxName}.${s.event}`);

describe('script order in a box tree (cam-api.md §4.2)', () => {
  it('install/configure/start: pre_X top down, then X bottom up', () => {
    expect(order(tree(), 'install')).toEqual([
      'A.pre_install',
      'B.pre_install',
      'C.pre_install',
      'C.install',
      'B.install',
      'A.install',
    ]);
    expect(order(tree(), 'configure')).toEqual([
      'A.pre_configure',
      'B.pre_configure',
      'C.pre_configure',
      'C.configure',
      'B.configure',
      'A.configure',
    ]);
    expect(order(tree(), 'start')).toEqual([
      'A.pre_start',
      'B.pre_start',
      'C.pre_start',
      'C.start',
      'B.start',
      'A.start',
    ]);
  });

  it('stop/dispose: X top down, then post_X bottom up', () => {
    expect(order(tree(), 'stop')).toEqual(['A.stop', 'B.stop', 'C.stop', 'C.post_stop', 'B.post_stop', 'A.post_stop']);
    expect(order(tree(), 'dispose')).toEqual([
      'A.dispose',
      'B.dispose',
      'C.dispose',
      'C.post_dispose',
      'B.post_dispose',
      'A.post_dispose',
    ]);
  });

  it('skips boxes without a script for the event and keeps scopes and script urls', () => {
    const t = tree(['install']);
    const scripts = phaseScripts(t, 'install', 'web-eb-abcde-1');
    expect(scripts.map((s) => [s.boxName, s.event, s.scope])).toEqual([
      ['C', 'install', 'b.c'],
      ['B', 'install', 'b'],
      ['A', 'install', ''],
    ]);
    expect(scripts[0]).toMatchObject({
      kind: 'script',
      phase: 'install',
      machine: 'web-eb-abcde-1',
      script: '/services/blobs/download/C/install',
    });
    expect(order(t, 'configure')).toEqual([]);
  });

  it('runs children in declaration order and the historical aliases next to their event', () => {
    const stack = [
      box('P', {
        events: ['install', 'post_install', 'pre_stop', 'stop'],
        children: [
          ['x', 'X'],
          ['y', 'Y'],
        ],
      }),
      box('X', { events: ['install', 'stop'] }),
      box('Y', { events: ['install', 'stop'] }),
    ];
    const root = planNode(treeFromStack(stack)!);
    expect(order(root, 'install')).toEqual(['X.install', 'Y.install', 'P.install', 'P.post_install']);
    expect(order(root, 'stop')).toEqual(['P.pre_stop', 'P.stop', 'X.stop', 'Y.stop']);
  });

  it('admin boxes of the policy wrap the tree: their pre_X first, their X last', () => {
    const admins = [
      planNode(treeFromStack([box('M1')])!, 'policy.m1'),
      planNode(treeFromStack([box('M2')])!, 'policy.m2'),
    ];
    const wrapped = wrapWithAdmins(tree(), admins);
    expect(order(wrapped, 'install')).toEqual([
      'M1.pre_install',
      'M2.pre_install',
      'A.pre_install',
      'B.pre_install',
      'C.pre_install',
      'C.install',
      'B.install',
      'A.install',
      'M2.install',
      'M1.install',
    ]);
    expect(order(wrapped, 'stop')).toEqual([
      'M1.stop',
      'M2.stop',
      'A.stop',
      'B.stop',
      'C.stop',
      'C.post_stop',
      'B.post_stop',
      'A.post_stop',
      'M2.post_stop',
      'M1.post_stop',
    ]);
    expect(phaseScripts(wrapped, 'install', 'm')[0]?.scope).toBe('policy.m1');
  });
});

describe('operation plans (cam-api.md §4.1)', () => {
  const shape = (steps: StepSpec[]) => steps.map((s) => (s.kind === 'script' ? `${s.boxName}.${s.event}` : s.kind));
  const plan = (operation: Parameters<typeof buildPlan>[0]['operation'], hasMachine = true) =>
    shape(
      buildPlan({
        operation,
        tree: tree(['pre_install', 'install', 'configure', 'start', 'stop', 'dispose']),
        machine: 'm',
        hasMachine,
      }),
    );

  it('deploy: provision, agent, install, bindings, configure, start', () => {
    expect(plan('deploy')).toEqual([
      'provision',
      'wait_agent',
      'A.pre_install',
      'B.pre_install',
      'C.pre_install',
      'C.install',
      'B.install',
      'A.install',
      'bindings',
      'C.configure',
      'B.configure',
      'A.configure',
      'C.start',
      'B.start',
      'A.start',
    ]);
  });

  it('the other operations', () => {
    expect(plan('reconfigure')).toEqual(['wait_agent', 'bindings', 'C.configure', 'B.configure', 'A.configure']);
    expect(plan('reinstall')).toEqual([
      'wait_agent',
      ...['A.pre_install', 'B.pre_install', 'C.pre_install', 'C.install', 'B.install', 'A.install'],
      'bindings',
      ...['C.configure', 'B.configure', 'A.configure'],
    ]);
    expect(plan('poweron')).toEqual([
      'boot',
      'wait_agent',
      'bindings',
      'C.configure',
      'B.configure',
      'A.configure',
      'C.start',
      'B.start',
      'A.start',
    ]);
    expect(plan('shutdown')).toEqual(['wait_agent', 'A.stop', 'B.stop', 'C.stop', 'power_off']);
    expect(plan('terminate')).toEqual(['boot', 'wait_agent', 'A.dispose', 'B.dispose', 'C.dispose', 'destroy']);
    expect(plan('terminate', false)).toEqual(['destroy']);
    expect(plan('force_terminate')).toEqual(['destroy']);
    expect(plan('delete')).toEqual(['remove']);
  });
});

describe('redeploy plan (PUT …/deploy)', () => {
  const scripts = (plan: StepSpec[]) => plan.map((s) => (s.kind === 'script' ? `${s.boxName}.${s.event}` : s.kind));

  it('runs the deploy phases again on the existing machine, or provisions one it never got', () => {
    const t = tree(['install', 'configure', 'start', 'stop']);
    const again = buildPlan({ operation: 'redeploy', tree: t, machine: 'm', hasMachine: true });
    expect(again[0]).toEqual({ kind: 'boot', machine: 'm' });
    const deploy = buildPlan({ operation: 'deploy', tree: t, machine: 'm', hasMachine: false });
    expect(scripts(again.slice(1))).toEqual(scripts(deploy.slice(1)));
    expect(scripts(again)).toContain('A.start');
    expect(scripts(again).indexOf('bindings')).toBeLessThan(scripts(again).indexOf('A.configure'));
    const fresh = buildPlan({ operation: 'redeploy', tree: t, machine: 'm', hasMachine: false });
    expect(fresh).toEqual(deploy);
  });
});
