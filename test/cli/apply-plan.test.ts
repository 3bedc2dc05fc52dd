import { describe, expect, it } from 'vitest';
import { planCreate, planExisting, type DesiredInstance } from '../../src/cli/apply-plan.js';
import { renderPlan } from '../../src/cli/render/plan.js';
import { failureBudget, notStarted, runBudgeted, type TargetResult } from '../../src/cli/operations.js';
import type { Box, Instance } from '../../src/client/types.js';

const box = (id: string, events: Record<string, string>, variables: Box['variables'] = []): Box => ({
  id,
  uri: `/services/boxes/${id}`,
  schema: 'http://elasticbox.net/schemas/boxes/script',
  created: '2026-01-01 00:00:00',
  updated: '2026-01-01 00:00:00',
  name: id,
  owner: 'ws',
  variables,
  events: Object.fromEntries(Object.entries(events).map(([e, url]) => [e, { url }])),
});
const md5 = async () => undefined;

const web = box('Web', { install: '/i', configure: '/c', start: '/s' }, [{ name: 'G', type: 'Text', value: 'a' }]);
const want = (variables: { name: string; value: string }[] = [], tags: string[] = []): DesiredInstance => ({
  name: 'web',
  box: web,
  stack: [web],
  request: { owner: 'ws', name: 'web', box: { id: 'Web', variables }, instance_tags: tags },
});
const have = (fields: Partial<Instance> = {}): Instance =>
  ({
    id: 'i-aaaaaa',
    name: 'web',
    owner: 'ws',
    box: 'Web',
    boxes: [web],
    state: 'done',
    operation: { event: 'deploy' },
    variables: [],
    tags: [],
    created: '',
    updated: '',
    ...fields,
  }) as Instance;

describe('apply plans', () => {
  it('creates with the deploy scripts, admin boxes around the box', () => {
    const admin = box('Admin', { pre_install: '/ap', install: '/ai' });
    expect(planCreate(want(), [[admin]]).scripts).toEqual([
      'Admin:pre_install',
      'Web:install',
      'Admin:install',
      'Web:configure',
      'Web:start',
    ]);
  });

  it('leaves an identical instance alone and updates tags without scripts', async () => {
    expect((await planExisting(want(), have(), md5)).action).toBe('unchanged');
    const tagged = await planExisting(want([], ['new']), have({ tags: ['old'] }), md5);
    expect(tagged).toMatchObject({ action: 'update', operation: 'none', tags: { add: ['new'], remove: ['old'] } });
  });

  it('blocks terminated, failed and stopped instances with what to do', async () => {
    const terminated = await planExisting(want(), have({ operation: { event: 'terminate_service' } }), md5);
    expect(terminated).toMatchObject({ action: 'blocked', problem: expect.stringContaining('instances delete') });
    const stopped = await planExisting(want(), have({ operation: { event: 'shutdown_service' } }), md5);
    expect(stopped.problem).toContain('poweron');
    expect((await planExisting(want(), have({ state: 'unavailable' }), md5)).action).toBe('blocked');
  });

  it('renders an update with its reasons and scripts, and a summary', async () => {
    const plan = await planExisting(want([{ name: 'G', value: 'b' }]), have(), md5);
    expect(renderPlan([plan, planCreate({ ...want(), name: 'api' })])).toBe(
      [
        '~ web (i-aaaaaa): update',
        '    variable G changed → reconfigure',
        '    reconfigure runs 1 script(s): Web:configure',
        '+ api: create from Web (Web)',
        '    deploy runs 3 script(s): Web:install, Web:configure, Web:start',
        'Plan: 1 to create, 1 to update, 0 unchanged.',
        '',
      ].join('\n'),
    );
  });
});

describe('failure budget', () => {
  it('reads N and P% of the targets, and refuses anything else', () => {
    expect(failureBudget(undefined, 10)).toBe(Infinity);
    expect(failureBudget('0', 10)).toBe(0);
    expect(failureBudget('2', 10)).toBe(2);
    expect(failureBudget('25%', 10)).toBe(2);
    for (const bad of ['x', '-1', '150%', '1.5']) expect(() => failureBudget(bad, 10)).toThrow(/--max-failures/);
  });

  it('starts no new target once more than the budget failed; those in flight finish', async () => {
    const started: string[] = [];
    const results = await runBudgeted(
      ['a', 'b', 'c', 'd'],
      1,
      1,
      async (id) => {
        started.push(id);
        return { id, operation: 'op', outcome: id === 'd' ? 'done' : 'failed', exitCode: 1 } as TargetResult;
      },
      (id) => notStarted({ id, operation: 'op' }),
    );
    expect(started).toEqual(['a', 'b']);
    expect(results.map((r) => r.outcome)).toEqual(['failed', 'failed', 'not-started', 'not-started']);
  });
});
