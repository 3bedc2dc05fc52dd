import { resolve } from 'node:path';
import { Flags } from '@oclif/core';
import { BaseCommand } from '../../cli/base-command.js';
import { OperationFailedError, UsageError } from '../../cli/errors.js';
import { defaultDataDir } from '../../shared/paths.js';

export interface ServerMigrateResult {
  from: string;
  tables: { table: string; rows: number }[];
}

export default class ServerMigrate extends BaseCommand<typeof ServerMigrate> {
  static override summary = 'Copy the embedded control plane into PostgreSQL';
  static override description =
    'Copies everything the embedded (SQLite) control plane of a data directory holds — users and tokens, workspaces, boxes and their versions, blobs, providers, instances, workflows, machines, events — into an empty PostgreSQL database, in one transaction. The embedded server must be stopped (its data directory lock is taken). Afterwards start servers with --database (or EBCLI_DATABASE_URL) on that database. Give the URL in EBCLI_DATABASE_URL when it holds a password.';

  static override examples = [
    'EBCLI_DATABASE_URL=postgres://ebcli@db.example/ebcli <%= config.bin %> server migrate --from ~/.ebcli/server',
  ];

  static override flags = {
    from: Flags.string({ description: 'data directory of the embedded control plane (default: the usual one)' }),
    to: Flags.string({ description: 'PostgreSQL URL (postgres://…) of an empty database', env: 'EBCLI_DATABASE_URL' }),
  };

  async run(): Promise<ServerMigrateResult> {
    const from = resolve(this.flags.from ?? defaultDataDir());
    const to = this.flags.to;
    const { isPostgresUrl } = await import('../../server/store/postgres.js');
    if (!to || !isPostgresUrl(to)) throw new UsageError('--to (or EBCLI_DATABASE_URL) must be a postgres:// URL');
    const { copySqliteToPostgres, CopyRefusedError } = await import('../../server/store/copy.js');
    const { DataDirLockedError } = await import('../../shared/data-dir-lock.js');
    try {
      const { tables } = await copySqliteToPostgres(from, to);
      await this.table(tables, [
        { header: 'TABLE', get: (r) => r.table },
        { header: 'ROWS', get: (r) => String(r.rows) },
      ]);
      return { from, tables };
    } catch (err) {
      if (err instanceof CopyRefusedError || err instanceof DataDirLockedError)
        throw new OperationFailedError(err.message);
      throw err;
    }
  }
}
