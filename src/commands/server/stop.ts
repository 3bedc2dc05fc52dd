import { BaseCommand } from '../../cli/base-command.js';
import { dataDirFlag } from '../../cli/flags.js';
import { defaultDataDir } from '../../shared/paths.js';

export default class ServerStop extends BaseCommand<typeof ServerStop> {
  static override summary = 'Stop the background control plane';
  static override flags = { 'data-dir': dataDirFlag };

  async run(): Promise<{ stopped: boolean; pid?: number; dataDir: string }> {
    const dataDir = this.flags['data-dir'] ?? defaultDataDir();
    const { stopServer } = await import('../../cli/daemon.js');
    const res = await stopServer(dataDir);
    this.out(res.stopped ? `Control plane stopped (pid ${res.pid})\n` : 'Control plane was not running\n');
    return { ...res, dataDir };
  }
}
