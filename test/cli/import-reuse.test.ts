import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { useCliServer } from './helpers.js';
import { runCliInProcess as runCli } from './in-process.js';
import { writeBoxFolder } from './apply-helpers.js';

// The real CLI imports into a real server; blobs are counted in the server's own SQLite store.
describe('boxes import of an unchanged folder', () => {
  const cli = useCliServer();
  const root = mkdtempSync(join(tmpdir(), 'ebcli-reuse-'));
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  const blobCount = async () =>
    Number(
      (await cli.t.server.db
        .selectFrom('blobs')
        .select((e) => e.fn.countAll().as('n'))
        .executeTakeFirst())!.n,
    );

  it('creates no version and uploads nothing; a changed file makes one version with one upload', async () => {
    const spec = {
      name: 'Reuse Box',
      events: { install: 'echo install', configure: 'echo configure' },
      variables: [{ name: 'CONF', value: 'files/app.conf', type: 'File' }],
      files: { 'app.conf': 'port=1\n' },
    };
    const dir = writeBoxFolder(root, spec);
    const first = await runCli(['boxes', 'import', dir, '--json'], { env: cli.env });
    expect(first.code, first.stderr).toBe(0);
    expect(first.json().boxes[0]).toMatchObject({ action: 'created', uploaded: 3 });
    const id = first.json().id;
    const blobs = await blobCount();

    const again = await runCli(['boxes', 'import', dir, '--json'], { env: cli.env });
    expect(again.code, again.stderr).toBe(0);
    expect(again.json().boxes[0]).toMatchObject({ id, action: 'unchanged', uploaded: 0, reused: 3 });
    expect(again.json().boxes[0].versionId).toBeUndefined();
    expect(await blobCount()).toBe(blobs);
    expect((await cli.t.call('GET', `/services/boxes/${id}/versions`)).body).toHaveLength(0);

    writeFileSync(join(dir, 'files', 'app.conf'), 'port=2\n');
    const changed = await runCli(['boxes', 'import', dir, '--json'], { env: cli.env });
    expect(changed.json().boxes[0]).toMatchObject({ action: 'versioned', uploaded: 1, reused: 2 });
    expect(await blobCount()).toBe(blobs + 1);

    const third = await runCli(['boxes', 'import', dir, '--json'], { env: cli.env });
    expect(third.json().boxes[0]).toMatchObject({ action: 'unchanged', uploaded: 0 });
    expect((await cli.t.call('GET', `/services/boxes/${id}/versions`)).body).toHaveLength(1);
    expect(await blobCount()).toBe(blobs + 1);
  }, 60_000);
});
