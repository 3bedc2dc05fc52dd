import { BaseCommand } from '../../cli/base-command.js';
import { ExitCode } from '../../cli/exit-codes.js';
import { dataDirFlag } from '../../cli/flags.js';
import { defaultDataDir } from '../../shared/paths.js';
import type { ServerStatus } from '../../cli/daemon.js';

export default class ServerStatusCommand extends BaseCommand<typeof ServerStatusCommand> {
  static override summary = 'Show whether the embedded control plane is running';
  static override description =
    'Exits 0 when it is running and answers, 1 when it is not (the status is printed either way, as JSON under --json).';
  static override flags = { 'data-dir': dataDirFlag };

  async run(): Promise<ServerStatus> {
    const dataDir = this.flags['data-dir'] ?? defaultDataDir();
    const { serverStatus } = await import('../../cli/daemon.js');
    const s = await serverStatus(dataDir);
    const rows: [string, unknown][] = [
      ['running', s.running ? 'yes' : `no${s.reason ? ` (${s.reason})` : ''}`],
      ['url', s.url],
      ['pid', s.pid],
      ['data dir', s.dataDir],
      ['CA file', s.caFile],
    ];
    await this.fields(rows.filter(([, v]) => v !== undefined));
    if (s.running) return s;
    if (this.jsonEnabled()) this.logJson(this.toSuccessJson(s));
    this.exit(ExitCode.Failed);
  }
}
