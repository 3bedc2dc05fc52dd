import { beforeAll, describe, expect, it } from 'vitest';
import { runCli, seedInstance, useCliServer } from './helpers.js';

// `instances show --json` masks Password values wherever the document holds them: the instance's
// own variables and its boxes' variables (their defaults), like the human output (issue 10).

describe('instances show masks secrets in --json', () => {
  const cli = useCliServer();
  let id: string;

  beforeAll(async () => {
    const box = {
      id: '00000000-0000-4000-8000-0000000000b1',
      uri: '/services/boxes/00000000-0000-4000-8000-0000000000b1',
      name: 'Database',
      owner: 'admin',
      schema: 'http://elasticbox.net/schemas/boxes/script',
      requirements: ['linux'],
      variables: [
        { name: 'ADMIN_PASSWORD', type: 'Password', value: 'box-default-secret', required: false },
        { name: 'GREETING', type: 'Text', value: 'hello-visible' },
        { name: 'api_token', type: 'Text', value: 'token-looking-secret' },
      ],
      events: {},
      created: '2026-01-01 00:00:00.000000',
      updated: '2026-01-01 00:00:00.000000',
    };
    const doc = await seedInstance(cli.t, {
      name: 'secretive',
      boxes: [box],
      variables: [
        { name: 'ROOT_PASSWORD', type: 'Password', value: 'override-secret' },
        { name: 'PORT', type: 'Port', value: '5432' },
      ],
    });
    id = doc.id;
  });

  it('prints no Password value, of the instance or of its boxes', async () => {
    const r = await runCli(['instances', 'show', id, '--json'], { env: cli.env });
    expect(r.code).toBe(0);
    for (const secret of ['box-default-secret', 'override-secret', 'token-looking-secret'])
      expect(r.stdout).not.toContain(secret);
    const { instance } = r.json() as { instance: any };
    expect(instance.variables).toEqual([
      { name: 'ROOT_PASSWORD', type: 'Password', value: '****' },
      { name: 'PORT', type: 'Port', value: '5432' },
    ]);
    expect(instance.boxes[0].variables).toEqual([
      { name: 'ADMIN_PASSWORD', type: 'Password', value: '****', required: false },
      { name: 'GREETING', type: 'Text', value: 'hello-visible' },
      { name: 'api_token', type: 'Text', value: '****' },
    ]);
    expect(instance.boxes[0].name).toBe('Database');

    const text = await runCli(['instances', 'show', id], { env: cli.env });
    expect(text.code).toBe(0);
    expect(text.stdout).toContain('ROOT_PASSWORD=****');
    expect(text.stdout).not.toContain('override-secret');
  });
});
