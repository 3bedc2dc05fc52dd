import { Args } from '@oclif/core';
import { BaseCommand } from '../../cli/base-command.js';
import type { Box } from '../../client/types.js';

export default class BoxesShow extends BaseCommand<typeof BoxesShow> {
  static override summary = 'Show one box (a draft or a version)';
  static override args = { id: Args.string({ description: 'box or version id', required: true }) };

  async run(): Promise<Box> {
    const client = await this.client();
    const box = await client.boxes.retrieve(this.args.id);
    const n = box.version?.number;
    await this.fields([
      ['id', box.id],
      ['name', box.name],
      ['owner', box.owner],
      [
        'type',
        String(box.schema ?? '')
          .split('/')
          .pop(),
      ],
      ['description', box.description],
      ['requirements', box.requirements ?? box.claims],
      ['version', n ? `${n.major}.${n.minor}.${n.patch} of ${box.version!.box}` : 'draft'],
      [
        'variables',
        (box.variables ?? []).map(
          (v) =>
            `${v.scope ? `${v.scope}.` : ''}${v.name}:${v.type}=${v.type === 'Password' ? '****' : (v.value ?? '')}`,
        ),
      ],
      ['updated', box.updated],
    ]);
    return box;
  }
}
