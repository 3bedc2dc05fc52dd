import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createBox, uploadText, variable } from '../helpers/boxes.js';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { addUser } from '../helpers/users.js';

let t: TestServer;
let bob: string;
let n = 0;
beforeAll(async () => {
  t = await startTestServer(undefined, { inject: true });
  bob = await addUser(t, 'bob');
});
afterAll(async () => t.stop());

const post = (variables: unknown[]) => t.call('POST', '/services/boxes', { body: { name: `Vars ${++n}`, variables } });

async function expectRefused(variables: unknown[], message: RegExp): Promise<void> {
  const res = await post(variables);
  expect(res.status, JSON.stringify(variables).slice(0, 200)).toBe(400);
  expect(res.body.message).toMatch(message);
}

describe('box variables', () => {
  it('stores every variable type with valid values, defaulting a missing value to ""', async () => {
    const child = await createBox(t, { name: 'Child For Vars' });
    const file = await uploadText(t, 'nginx.conf', 'server {}');
    const variables = [
      variable('TEXT', 'Text', '{{ other }}', { required: true, visibility: 'public' }),
      variable('SECRET', 'Password', ''),
      variable('COUNT', 'Number', '-3'),
      variable('EMPTY_COUNT', 'Number', ''),
      variable('HTTP', 'Port', '65535'),
      variable('ROLE', 'Options', 'Node', { options: 'Master,Node,Standalone' }),
      variable('CONF', 'File', file.url, { visibility: 'private' }),
      variable('EXPORTED', 'File', 'files/nginx.conf'),
      variable('child', 'Box', child.id, { automatic_updates: 'major', visibility: 'internal' }),
      variable('db', 'Binding', '1b2c3d4e-5f60-4718-8a9b-0c1d2e3f4a5b'),
      variable('any', 'Binding', 'AnyBox'),
      variable('TEXT', 'Text', 'override', { scope: 'child' }),
      { name: 'NO_VALUE', type: 'Text', tags: ['a'] },
    ];
    const res = await post(variables);
    expect(res.status).toBe(200);
    expect(res.body.variables).toHaveLength(variables.length);
    expect(res.body.variables.at(-1)).toEqual({ name: 'NO_VALUE', type: 'Text', value: '', tags: ['a'] });
    expect(res.body.variables[6]).toEqual(variables[6]);
  });

  it('refuses a duplicate (name, scope)', async () => {
    await expectRefused([variable('A', 'Text', '1'), variable('A', 'Text', '2')], /A is defined more than once/);
    await expectRefused(
      [variable('A', 'Text', '1', { scope: 'x' }), variable('A', 'Text', '2', { scope: 'x' })],
      /A \(scope x\)/,
    );
  });

  it('refuses malformed variables by schema', async () => {
    await expectRefused([variable('9lives', 'Text', '')], /name/);
    await expectRefused([variable('a-b', 'Text', '')], /name/);
    await expectRefused([variable('x'.repeat(65), 'Text', '')], /name/);
    await expectRefused([variable('A', 'Secret', '')], /type/);
    await expectRefused([variable('A', 'Text', 5)], /value/);
    await expectRefused([variable('A', 'Text', '', { visibility: 'hidden' })], /visibility/);
    await expectRefused([variable('A', 'Text', '', { scope: 'a..b' })], /scope/);
    await expectRefused({ length: 1 } as unknown as unknown[], /variables/);
  });

  it('checks Number, Port, Options and Binding values', async () => {
    await expectRefused([variable('N', 'Number', '1.5')], /N: a Number value must be an integer/);
    await expectRefused([variable('N', 'Number', 'ten')], /integer/);
    await expectRefused([variable('P', 'Port', '65536')], /P: a Port value must be a number from 0 to 65535/);
    await expectRefused([variable('P', 'Port', '-1')], /Port/);
    await expectRefused([variable('P', 'Port', '80/tcp')], /Port/);
    await expectRefused([variable('O', 'Options', 'Other', { options: 'Master,Node' })], /not one of its options/);
    await expectRefused([variable('O', 'Options', 'Master')], /not one of its options/);
    await expectRefused([variable('B', 'Binding', 'some box')], /Binding value must be a box id or AnyBox/);
  });

  it('checks that Box values name boxes the user can read', async () => {
    const bobs = await createBox(t, { name: 'Bob Nested' }, bob);
    await expectRefused([variable('child', 'Box', '')], /needs the id of a box/);
    await expectRefused(
      [variable('child', 'Box', '00000000-0000-4000-8000-000000000000')],
      /does not exist or you cannot read it/,
    );
    await expectRefused([variable('child', 'Box', bobs.id)], /does not exist or you cannot read it/);
  });

  it('checks that File blob URLs name blobs the user can read', async () => {
    const mine = await uploadText(t, 'mine.txt', 'x');
    const bobs = await uploadText(t, 'bobs.txt', 'x', bob);
    await expectRefused([variable('F', 'File', bobs.url)], /Variable F: blob .* cannot read/);
    await expectRefused([variable('F', 'File', mine.url.replace('mine.txt', 'yours.txt'))], /does not exist/);
    await expectRefused([variable('F', 'File', '/services/blobs/download/xyz/mine.txt')], /not a blob URL/);
    expect((await post([variable('F', 'File', `https://cam.example${mine.url}`)])).status).toBe(200);
  });

  it('caps variables at 500 and values at 64 KiB', async () => {
    const many = Array.from({ length: 501 }, (_, i) => variable(`V${i}`, 'Text', ''));
    await expectRefused(many, /variables/);
    expect((await post(many.slice(0, 500))).status).toBe(200);
    await expectRefused([variable('BIG', 'Text', 'x'.repeat(64 * 1024 + 1))], /value/);
    await expectRefused([variable('WIDE', 'Text', 'é'.repeat(33 * 1024))], /WIDE: value is larger than 64 KiB/);
    expect((await post([variable('FULL', 'Text', 'x'.repeat(64 * 1024))])).status).toBe(200);
  });

  it('records the blobs a box references so workspace members can download them', async () => {
    const ws = await t.call('POST', '/services/workspaces', {
      body: { name: 'Blob Team', members: [{ role: 'read', workspace: 'bob' }] },
    });
    const conf = await uploadText(t, 'shared.conf', 'shared');
    const script = await uploadText(t, 'install.sh', 'echo');
    const readme = await uploadText(t, 'readme.MD', '# hi');
    const icon = await uploadText(t, 'icon.png', 'png');
    expect((await t.call('GET', conf.url, { token: bob })).status).toBe(404);
    const box = await createBox(t, {
      name: 'Shares Blobs',
      owner: ws.body.id,
      icon: icon.url,
      readme: { url: readme.url, content_type: 'text/x-markdown' },
      events: { install: { url: script.url } },
      variables: [variable('CONF', 'File', conf.url)],
    });
    for (const blob of [conf, script, readme, icon]) {
      const res = await t.call('GET', blob.url, { token: bob });
      expect(res.status, blob.url).toBe(200);
    }
    // Once the box stops referencing a blob, the teammate loses access to it again.
    expect((await t.call('PUT', box.uri, { body: { variables: [] } })).status).toBe(200);
    expect((await t.call('GET', conf.url, { token: bob })).status).toBe(404);
    expect((await t.call('GET', script.url, { token: bob })).status).toBe(200);
  });
});
