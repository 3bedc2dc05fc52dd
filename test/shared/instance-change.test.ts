import { describe, expect, it } from 'vitest';
import { instanceChange, type ChangeBox } from '../../src/shared/instance-change.js';

const md5s: Record<string, string> = {
  '/a/install': 'A',
  '/b/install': 'A',
  '/c/install': 'C',
  '/f1': 'F',
  '/f2': 'F',
};
const md5 = async (url: string) => md5s[url];

const box = (id: string, events: Record<string, string>, variables: ChangeBox['variables'] = []): ChangeBox => ({
  id,
  name: id,
  variables,
  events: Object.fromEntries(Object.entries(events).map(([e, url]) => [e, { url }])),
});

const change = (before: ChangeBox[], after: ChangeBox[], vb: any[] = [], va: any[] = vb) =>
  instanceChange({ before: { stack: before, variables: vb }, after: { stack: after, variables: va }, md5 });

describe('instanceChange (the pull rule)', () => {
  it('reinstalls when an install script changed content, listing install then configure scripts', async () => {
    const e = await change(
      [box('P', { install: '/a/install', configure: '/conf' })],
      [box('P', { install: '/c/install', configure: '/conf' })],
    );
    expect(e).toEqual({
      operation: 'reinstall',
      reasons: [{ kind: 'script', name: 'P:install', change: 'changed', requires: 'reinstall' }],
      scripts: ['P:install', 'P:configure'],
    });
  });

  it('sees no change in a new blob with the same bytes, and runs nothing for a changed start script', async () => {
    const e = await change(
      [box('P', { install: '/a/install', start: '/s1' })],
      [box('P', { install: '/b/install', start: '/s2' })],
    );
    expect(e.operation).toBe('none');
    expect(e.reasons).toEqual([{ kind: 'script', name: 'P:start', change: 'changed', requires: 'none' }]);
    expect(e.scripts).toEqual([]);
  });

  it('reconfigures for a changed effective value only: overrides and parent scoped values hide defaults', async () => {
    const child = (v: string) => box('C', { configure: '/cc' }, [{ name: 'X', type: 'Text', value: v }]);
    const parent = (scoped: string) =>
      box('P', { pre_configure: '/pc', configure: '/pconf' }, [
        { name: 'child', type: 'Box', value: 'C' },
        { name: 'X', type: 'Text', value: scoped, scope: 'child' },
        { name: 'Y', type: 'Text', value: 'y' },
      ]);
    // The child's default moved, but the parent's scoped value decides: nothing changes.
    expect((await change([parent('p'), child('1')], [parent('p'), child('2')])).operation).toBe('none');
    const e = await change([parent('p'), child('1')], [parent('q'), child('1')]);
    expect(e.reasons).toEqual([{ kind: 'variable', name: 'child.X', change: 'changed', requires: 'reconfigure' }]);
    expect(e.scripts).toEqual(['P:pre_configure', 'C:configure', 'P:configure']);
    const o = await change([parent('p'), child('1')], [parent('p'), child('1')], [], [{ name: 'Y', value: 'z' }]);
    expect(o.reasons).toEqual([{ kind: 'variable', name: 'Y', change: 'changed', requires: 'reconfigure' }]);
  });

  it('compares File variables by content', async () => {
    const f = (url: string) => box('P', {}, [{ name: 'CONF', type: 'File', value: url }]);
    expect((await change([f('/f1')], [f('/f2')])).operation).toBe('none');
    expect((await change([f('/f1')], [f('/f3')])).reasons).toEqual([
      { kind: 'file', name: 'CONF', change: 'changed', requires: 'reconfigure' },
    ]);
  });
});
