import { chmod, lstat, mkdir, readFile, readdir, symlink, truncate, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import nunjucks from 'nunjucks';
import { describe, expect, it } from 'vitest';
import {
  BoxFolderError,
  boxesInImportOrder,
  initBoxFolder,
  readBoxFolder,
  toBoxDocument,
  validateBoxFolder,
  writeBoxFolder,
  type LocalBox,
  type LocalFile,
  type Problem,
  type RemoteBox,
} from '../../src/client/box-folder/index.js';
import { EXAMPLES, copyExamples, makeBox, md5, scriptYaml, tempDir } from './box-folder-fixtures.js';

const errors = (problems: Problem[]) => problems.filter((p) => p.severity === 'error');
const messages = (problems: Problem[]) => errors(problems).map((p) => `${p.file}: ${p.message}`);

/** One variable as a box.yaml list item. */
const v = (fields: Record<string, string>) =>
  Object.entries(fields)
    .map(([k, val], i) => `${i === 0 ? '-' : ' '} ${k}: ${val}\n`)
    .join('');

async function problemsFor(variables: string, spec = {}, extra = ''): Promise<string[]> {
  const root = await tempDir();
  await makeBox(root, 'Box', scriptYaml('Box', variables, extra), spec);
  return messages(await validateBoxFolder(join(root, 'Box')));
}

describe('readBoxFolder', () => {
  it('reads box.yaml, events, files, readme, icon and nested boxes', async () => {
    const root = await tempDir();
    await makeBox(root, 'Child', scriptYaml('Child', '', 'id: child-id\n'), { events: { install: 'echo c\n' } });
    await makeBox(
      root,
      'Web',
      scriptYaml(
        'Web',
        v({ name: 'HTTP_PORT', type: 'Port', value: '80' }) +
          v({ name: 'CONF', type: 'File', value: 'files/site.conf' }) +
          v({ name: 'LEVEL', type: 'Options', options: 'low,high', value: 'high' }) +
          v({ name: 'COUNT', type: 'Number', value: '3' }) +
          v({ name: 'RATIO', type: 'Text', value: '1.10' }) +
          v({ name: 'child', type: 'Box', value: 'child-id', automatic_updates: 'false' }),
        'icon: web.png\n',
      ),
      {
        events: { pre_install: 'echo pre\n', terminate: 'echo bye\n', post_start: 'echo ps\n' },
        files: { 'files/site.conf': 'listen 80;\n', 'readme.MD': '# Web\n', 'web.png': Buffer.from([137, 80]) },
      },
    );
    const box = await readBoxFolder(join(root, 'Web'));
    expect(box.type).toBe('script');
    expect(box.doc.name).toBe('Web');
    expect(box.doc.automatic_updates).toBe('off');
    expect(box.doc.variables.map((x) => x.value)).toEqual(['80', 'files/site.conf', 'high', '3', '1.10', 'child-id']);
    expect(box.doc.variables[5]!.automatic_updates).toBe('off');
    expect(Object.keys(box.events).sort()).toEqual(['dispose', 'post_start', 'pre_install']);
    expect(box.events.dispose!.content.toString()).toBe('echo bye\n');
    expect(box.events.dispose!.md5).toBe(md5('echo bye\n'));
    expect(box.files['files/site.conf']!.content.toString()).toBe('listen 80;\n');
    expect(box.readme!.content.toString()).toBe('# Web\n');
    expect(box.icon!.contentType).toBe('image/png');
    expect(box.children.map((c) => [c.variable.name, c.box.doc.name])).toEqual([['child', 'Child']]);
    expect(boxesInImportOrder(box).map((b) => b.doc.name)).toEqual(['Child', 'Web']);
  });

  it('defaults a missing schema to script and resolves Box values by folder name', async () => {
    const root = await tempDir();
    await makeBox(root, 'Leaf', 'name: Leaf\n');
    await makeBox(root, 'Top', `name: Top\nvariables:\n${v({ name: 'leaf', type: 'Box', value: 'Leaf' })}`);
    const top = await readBoxFolder(join(root, 'Top'));
    expect(top.doc.schema).toBe('http://elasticbox.net/schemas/boxes/script');
    expect(top.children[0]!.box.folder).toBe('Leaf');
  });

  it('throws BoxFolderError listing the problems of an invalid folder', async () => {
    const root = await tempDir();
    await makeBox(root, 'Bad', 'name: Bad\nwhat: 1\n');
    const err = await readBoxFolder(join(root, 'Bad')).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(BoxFolderError);
    expect((err as BoxFolderError).problems[0]).toMatchObject({ file: 'Bad/box.yaml', severity: 'error' });
  });
});

describe('validateBoxFolder', () => {
  it('accepts every example box with no problem at all', async () => {
    const names = (await readdir(EXAMPLES, { withFileTypes: true })).filter((d) => d.isDirectory());
    expect(names.length).toBeGreaterThanOrEqual(5);
    for (const d of names) expect(await validateBoxFolder(join(EXAMPLES, d.name))).toEqual([]);
  });

  it('renders every example script with nunjucks', async () => {
    const env = new nunjucks.Environment(null, { autoescape: false, throwOnUndefined: false });
    const examples = await copyExamples();
    for (const folder of ['Hello Web', 'Greeting Service', 'Greeting Client', 'Nested Parent', 'Nested Child']) {
      const box = await readBoxFolder(join(examples, folder));
      for (const file of Object.values(box.events)) {
        const out = env.renderString(file!.content.toString(), { HTTP_PORT: '1', service: {} });
        expect(out.startsWith('#!/bin/bash\n')).toBe(true);
      }
    }
  });

  it('reports YAML syntax errors and unknown keys', async () => {
    const root = await tempDir();
    await makeBox(root, 'Syntax', 'name: [unclosed\n');
    expect(messages(await validateBoxFolder(join(root, 'Syntax')))[0]).toMatch(/^Syntax\/box.yaml: YAML syntax/);
    expect(await problemsFor('', {}, 'colour: red\nclaims: [x]\n')).toEqual([
      "Box/box.yaml: unknown key 'colour'",
      "Box/box.yaml: key 'claims' belongs to policy boxes, not script boxes",
    ]);
    expect((await problemsFor(v({ name: 'A', type: 'Text', colour: 'x' })))[0]).toMatch(/unknown key 'colour'/);
  });

  it.each([
    [v({ name: '1abc', type: 'Text' }), /name must be up to 64 letters/],
    [v({ name: 'A', type: 'String' }), /type must be one of/],
    [v({ name: 'N', type: 'Number', value: "'1.5'" }), /Number value '1.5' is not an integer/],
    [v({ name: 'P', type: 'Port', value: "'70000'" }), /Port value '70000' is not a port number/],
    [v({ name: 'O', type: 'Options', options: 'a,b', value: 'c' }), /not one of the options a, b/],
    [v({ name: 'O', type: 'Options', value: 'c' }), /need options/],
    [v({ name: 'F', type: 'File', value: 'conf/x' }), /File value must be files\/<name>/],
    [v({ name: 'F', type: 'File', value: 'files/missing' }), /files\/missing does not exist/],
    [v({ name: 'B', type: 'Box', value: 'Nowhere' }), /Box variable B: no box folder .* 'Nowhere'/],
    [v({ name: 'A', type: 'Text' }) + v({ name: 'A', type: 'Password' }), /duplicate variable \(name A, scope ''\)/],
    [v({ name: 'V', type: 'Text', visibility: 'secret' }), /visibility must be/],
    [v({ name: 'O', type: 'Options', options: 'a,b', value: "''" }), /value '' is not one of the options/],
    [v({ name: 'b', type: 'Binding', value: 'Nowhere' }), /'Nowhere' is not AnyBox, a box id or a box folder/],
    [v({ name: 'D', type: 'Text', description: 'x' }), /unknown key 'description'/],
    [v({ name: 'T', type: 'Text', automatic_updates: 'major' }), /applies to Box variables only/],
  ])('reports a bad variable: %s', async (variables, expected) => {
    expect((await problemsFor(variables)).join('\n')).toMatch(expected);
  });

  it('reports requirements on a policy box', async () => {
    const root = await tempDir();
    await makeBox(root, 'P', 'name: P\nschema: http://elasticbox.net/schemas/boxes/policy\nrequirements: [linux]\n');
    expect(messages(await validateBoxFolder(join(root, 'P')))).toEqual([
      'P/box.yaml: policy boxes have no requirements: list what the policy offers in claims',
    ]);
  });

  it('allows the same name in different scopes', async () => {
    const vars = v({ name: 'A', type: 'Text' }) + v({ name: 'A', type: 'Text', scope: 'inner' });
    expect(await problemsFor(vars)).toEqual([]);
  });

  it('reports unknown event files, duplicate events and scripts that are not executable', async () => {
    const root = await tempDir();
    const dir = await makeBox(root, 'Ev', scriptYaml('Ev'), {
      events: { instal: 'x', dispose: 'a', terminate: 'b', start: 's' },
    });
    await chmod(join(dir, 'events', 'start'), 0o644);
    const problems = await validateBoxFolder(dir);
    expect(messages(problems)).toEqual([
      expect.stringMatching(/^Ev\/events\/instal: unknown event/),
      'Ev/events/terminate: duplicates events/dispose (both are the dispose event)',
    ]);
    expect(problems).toContainEqual({
      file: 'Ev/events/start',
      message: 'script is not executable (chmod u+x)',
      severity: 'warning',
    });
  });

  it('reports Box variables that form a cycle', async () => {
    const root = await tempDir();
    await makeBox(root, 'A', `name: A\nid: a\nvariables:\n${v({ name: 'b', type: 'Box', value: 'b' })}`);
    await makeBox(root, 'B', `name: B\nid: b\nvariables:\n${v({ name: 'a', type: 'Box', value: 'a' })}`);
    expect(messages(await validateBoxFolder(join(root, 'A')))).toEqual([
      'B/box.yaml: Box variable a: box A contains itself',
    ]);
  });

  it('caps the size of box.yaml and files, and the number of entries', async () => {
    const root = await tempDir();
    const dir = await makeBox(root, 'Big', scriptYaml('Big', v({ name: 'F', type: 'File', value: 'files/big' })), {
      files: { 'files/big': '' },
    });
    await truncate(join(dir, 'files', 'big'), 10 * 1024 * 1024 + 1);
    expect(messages(await validateBoxFolder(dir))).toEqual([
      expect.stringMatching(/^Big\/files\/big: File variable F: files\/big is larger than 10485760 bytes/),
    ]);
    await writeFile(join(dir, 'box.yaml'), `name: Big\ndescription: ${'x'.repeat(1024 * 1024)}\n`);
    expect(messages(await validateBoxFolder(dir))[0]).toBe('Big/box.yaml: is larger than 1048576 bytes');
    await makeBox(root, 'Many', 'name: Many\n');
    for (let i = 0; i < 201; i++) await writeFile(join(root, 'Many', 'events', `x${i}`), '');
    expect(messages(await validateBoxFolder(join(root, 'Many')))[0]).toMatch(/more than 200 event and file entries/);
  });
});

describe('path safety', () => {
  const fileVar = (value: string, name = 'F') => v({ name, type: 'File', value });

  it('rejects .., absolute paths and NUL bytes in File values', async () => {
    expect(await problemsFor(fileVar('files/../../etc/passwd'))).toEqual([
      'Box/box.yaml: variables[0] (F): File value path escapes the box folder (..)',
    ]);
    expect(await problemsFor(fileVar('/etc/passwd'))).toEqual([
      'Box/box.yaml: variables[0] (F): File value path is an absolute path',
    ]);
    expect(await problemsFor(fileVar('"files/a\\0b"'))).toEqual([
      'Box/box.yaml: variables[0] (F): File value path contains a NUL byte',
    ]);
  });

  it('rejects icon and dockerfile paths that leave the folder', async () => {
    expect(await problemsFor('', {}, 'icon: ../secret.png\n')).toEqual([
      'Box/box.yaml: icon path escapes the box folder (..)',
    ]);
    const root = await tempDir();
    await makeBox(root, 'D', 'name: D\nschema: http://elasticbox.net/schemas/boxes/docker\ndockerfile: /etc/passwd\n');
    expect(messages(await validateBoxFolder(join(root, 'D')))).toEqual([
      'D/box.yaml: dockerfile path is an absolute path',
    ]);
  });

  it('rejects symlinks that point outside the box folder, and accepts ones that stay inside', async () => {
    const root = await tempDir();
    const outside = join(await tempDir(), 'secret');
    await writeFile(outside, 'secret');
    const dir = await makeBox(root, 'Link', scriptYaml('Link', fileVar('files/link') + fileVar('files/inner', 'G')), {
      files: { 'files/real': 'inside' },
    });
    await symlink(outside, join(dir, 'files', 'link'));
    await symlink(join(dir, 'files', 'real'), join(dir, 'files', 'inner'));
    await symlink(outside, join(dir, 'events', 'install'));
    expect(messages(await validateBoxFolder(dir)).sort()).toEqual([
      'Link/events/install: is a symlink pointing outside the box folder',
      'Link/files/link: File variable F: files/link is a symlink pointing outside the box folder',
    ]);
  });

  it('never writes outside the boxes path', async () => {
    const boxesPath = await tempDir();
    const outside = await tempDir();
    await writeFile(join(outside, 'target'), 'untouched');
    await mkdir(join(boxesPath, 'Evil', 'events'), { recursive: true });
    await symlink(join(outside, 'target'), join(boxesPath, 'Evil', 'events', 'install'));
    const blob = async () => Buffer.from('echo hi\n');
    const doc: RemoteBox = {
      id: 'x',
      name: 'Evil',
      schema: 'http://elasticbox.net/schemas/boxes/script',
      events: { install: { url: '/services/blobs/download/1/install' } },
    };
    await writeBoxFolder(boxesPath, doc, blob);
    expect(await readFile(join(outside, 'target'), 'utf8')).toBe('untouched');
    expect((await lstat(join(boxesPath, 'Evil', 'events', 'install'))).isSymbolicLink()).toBe(false);

    const escaped = await writeBoxFolder(boxesPath, { ...doc, name: '../../escape' }, blob);
    expect(escaped.dir.startsWith(boxesPath)).toBe(true);
    await symlink(outside, join(boxesPath, 'Linked'));
    await expect(writeBoxFolder(boxesPath, { ...doc, name: 'Linked' }, blob)).rejects.toThrow(/not a directory/);
  });
});

/** A fake blob store standing in for the server's blobs, so documents can carry URLs. */
function blobStore() {
  const blobs = new Map<string, Buffer>();
  const refs = {
    blob: (file: LocalFile) => {
      const url = `/services/blobs/download/${file.md5.slice(0, 24)}/${file.name}`;
      blobs.set(url, file.content);
      return { url, length: file.content.length };
    },
    idOf: (box: LocalBox) => box.doc.id,
  };
  const fetchBlob = async (url: string) => blobs.get(url)!;
  return { refs, fetchBlob };
}

/** Everything that defines a box, without where it was read from. */
function shape(box: LocalBox): unknown {
  const f = (file?: LocalFile) => file && { path: file.path, md5: file.md5 };
  return {
    type: box.type,
    doc: box.doc,
    events: Object.fromEntries(Object.entries(box.events).map(([k, x]) => [k, f(x)])),
    files: Object.fromEntries(Object.entries(box.files).map(([k, x]) => [k, f(x)])),
    readme: f(box.readme),
    icon: f(box.icon),
    children: box.children.map((c) => [c.variable.name, shape(c.box)]),
  };
}

describe('writeBoxFolder', () => {
  it('round-trips read → write → read', async () => {
    const root = await tempDir();
    await makeBox(root, 'Inner', scriptYaml('Inner', v({ name: 'X', type: 'Text', value: "'off'" }), 'id: in-1\n'), {
      events: { configure: 'echo {{ X }}\n' },
    });
    await makeBox(
      root,
      'Outer',
      scriptYaml(
        'Outer',
        v({ name: 'PORT', type: 'Port', value: "'80'", required: 'true' }) +
          v({ name: 'CONF', type: 'File', value: 'files/a.conf' }) +
          v({ name: 'inner', type: 'Box', value: 'in-1', automatic_updates: "'off'" }) +
          v({ name: 'X', type: 'Text', value: 'override', scope: 'inner' }),
        'id: out-1\ndescription: outer box\nicon: outer.png\n',
      ),
      {
        events: { install: '#!/bin/bash\necho install\n', stop: 'echo stop\n' },
        files: { 'files/a.conf': 'a=1\n', 'readme.MD': '# Outer\n', 'outer.png': 'PNG' },
      },
    );
    const first = await readBoxFolder(join(root, 'Outer'));
    const { refs, fetchBlob } = blobStore();
    const out = await tempDir();
    for (const box of boxesInImportOrder(first)) {
      const doc = { ...toBoxDocument(box, refs), id: box.doc.id } as RemoteBox;
      await writeBoxFolder(out, doc, fetchBlob);
    }
    const second = await readBoxFolder(join(out, 'Outer'));
    expect(shape(second)).toEqual(shape(first));
    expect((await lstat(join(out, 'Outer', 'events', 'install'))).mode & 0o777).toBe(0o700);
    expect(await readFile(join(out, 'Outer', 'box.yaml'), 'utf8')).toBe(
      [
        'description: outer box',
        'icon: outer.png',
        'id: out-1',
        'name: Outer',
        'requirements:',
        '- linux',
        'schema: http://elasticbox.net/schemas/boxes/script',
        'variables:',
        '- name: PORT',
        '  required: true',
        '  type: Port',
        "  value: '80'",
        '- name: CONF',
        '  type: File',
        '  value: files/a.conf',
        "- automatic_updates: 'off'",
        '  name: inner',
        '  type: Box',
        '  value: in-1',
        '- name: X',
        '  scope: inner',
        '  type: Text',
        '  value: override',
        '',
      ].join('\n'),
    );
  });

  it('initBoxFolder creates a skeleton that validates', async () => {
    const root = await tempDir();
    const dir = await initBoxFolder(root, 'My Box');
    expect(await validateBoxFolder(dir)).toEqual([]);
    expect((await readBoxFolder(dir)).doc.name).toBe('My Box');
    await expect(initBoxFolder(root, 'My Box')).rejects.toThrow(/already exists/);
    await expect(initBoxFolder(root, '../x')).rejects.toThrow(BoxFolderError);
  });
});

describe('checks in box.yaml', () => {
  const checks = [
    'checks:',
    '- name: web-port',
    '  builtin: {type: tcp, params: {port: 8080}}',
    '  interval: 10',
    '- name: says-ok',
    '  command: echo OK',
    '  interval: 30',
    '',
  ].join('\n');

  it('are read, sent with the box, and written back by export', async () => {
    const root = await tempDir();
    await makeBox(root, 'Watched', scriptYaml('Watched', '', `id: w-1\n${checks}`));
    const box = await readBoxFolder(join(root, 'Watched'));
    const expected = [
      { name: 'web-port', builtin: { type: 'tcp', params: { port: 8080 } }, interval: 10 },
      { name: 'says-ok', command: 'echo OK', interval: 30 },
    ];
    const { refs, fetchBlob } = blobStore();
    const doc = toBoxDocument(box, refs);
    expect(doc.checks).toEqual(expected);
    const out = await tempDir();
    await writeBoxFolder(out, { ...doc, id: 'w-1' } as RemoteBox, fetchBlob);
    expect((await readBoxFolder(join(out, 'Watched'))).doc.extra.checks).toEqual(expected);
  });

  it('must be a list of definitions, and not on a policy box', async () => {
    const root = await tempDir();
    await makeBox(root, 'Bad', scriptYaml('Bad', '', 'checks: [echo OK]\n'));
    expect(messages(await validateBoxFolder(join(root, 'Bad')))).toEqual([
      'Bad/box.yaml: checks must be a list of check definitions (name, command or builtin, interval, …)',
    ]);
    await makeBox(root, 'P', `name: P\nschema: http://elasticbox.net/schemas/boxes/policy\n${checks}`);
    expect(messages(await validateBoxFolder(join(root, 'P')))).toEqual([
      'P/box.yaml: policy boxes have no checks: declare them in the boxes their instances run',
    ]);
  });
});
