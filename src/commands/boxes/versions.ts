import { Args } from '@oclif/core';
import { BaseCommand } from '../../cli/base-command.js';
import { versionColumns } from '../../cli/render/columns.js';
import type { Box } from '../../client/types.js';

export default class BoxesVersions extends BaseCommand<typeof BoxesVersions> {
  static override summary = 'List the versions of a box, newest first';
  static override args = { id: Args.string({ description: 'box id', required: true }) };

  async run(): Promise<Box[]> {
    const client = await this.client();
    const versions = await client.boxes.versions(this.args.id);
    await this.table(versions, versionColumns);
    return versions;
  }
}
