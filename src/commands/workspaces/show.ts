import { Args } from '@oclif/core';
import { BaseCommand } from '../../cli/base-command.js';
import type { Workspace } from '../../client/types.js';

export default class WorkspacesShow extends BaseCommand<typeof WorkspacesShow> {
  static override summary = 'Show one workspace';
  static override args = { id: Args.string({ description: 'workspace id', required: true }) };

  async run(): Promise<Workspace> {
    const client = await this.client();
    const ws = await client.workspaces.retrieve(this.args.id);
    await this.fields([
      ['id', ws.id],
      ['name', ws.name],
      [
        'type',
        String(ws.schema ?? '')
          .split('/')
          .pop(),
      ],
      ['owner', ws.owner],
      ['members', (ws.members ?? []).map((m) => `${m.workspace}:${m.role}`)],
    ]);
    return ws;
  }
}
