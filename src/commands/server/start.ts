import { resolve } from 'node:path';
import { Flags } from '@oclif/core';
import { BaseCommand } from '../../cli/base-command.js';
import { dataDirFlag } from '../../cli/flags.js';
import { UsageError } from '../../cli/errors.js';
import { defaultDataDir } from '../../shared/paths.js';

export interface ServerStartResult {
  url?: string;
  publicUrl?: string;
  pid?: number;
  dataDir: string;
  caFile?: string;
  started: boolean;
  foreground: boolean;
  signal?: string;
}

export default class ServerStart extends BaseCommand<typeof ServerStart> {
  static override summary = 'Start the embedded control plane';
  static override description =
    'Starts the server in the background (its log goes to server.log in the data directory) and waits until it answers health. With --foreground it runs in this terminal, logging to stdout, until SIGTERM or Ctrl-C.';

  static override examples = [
    '<%= config.bin %> server start',
    '<%= config.bin %> server start --foreground --port 8443',
    'EBCLI_DATABASE_URL=postgres://ebcli@db.example/ebcli <%= config.bin %> server start',
    '<%= config.bin %> server start --listen 0.0.0.0:8443 --public-url https://cp.example.net:8443',
  ];

  static override flags = {
    foreground: Flags.boolean({ description: 'run in the foreground, logging to stdout' }),
    port: Flags.integer({
      description: 'port to listen on (default: the last one used, else a free one)',
      min: 0,
      max: 65535,
    }),
    listen: Flags.string({
      description: 'address and port to bind, ADDR:PORT (default 127.0.0.1 and the last port used)',
      helpValue: 'ADDR:PORT',
    }),
    'public-url': Flags.string({
      description:
        'URL other hosts (agents, remote CLIs) use; the server certificate names its host (default: the local URL)',
      helpValue: 'URL',
    }),
    'data-dir': dataDirFlag,
    database: Flags.string({
      description:
        'PostgreSQL URL (postgres://…) holding the store, shared by several servers; default: SQLite in the data directory. Prefer EBCLI_DATABASE_URL when the URL has a password.',
      env: 'EBCLI_DATABASE_URL',
    }),
  };

  static override exitOnInterrupt = false;

  async run(): Promise<ServerStartResult> {
    // Resolved once, here: the detached server, its state files and its agents see the absolute path.
    const dataDir = resolve(this.flags['data-dir'] ?? defaultDataDir());
    const { parseListen, checkPublicUrl } = await import('../../server/http/public-url.js');
    let listen: { host?: string; port?: number } = {};
    try {
      if (this.flags.listen) listen = parseListen(this.flags.listen);
      if (this.flags['public-url']) checkPublicUrl(this.flags['public-url']);
    } catch (err) {
      throw new UsageError((err as Error).message);
    }
    if (listen.port !== undefined && this.flags.port !== undefined && listen.port !== this.flags.port) {
      throw new UsageError('--port and the port of --listen differ: give one of them');
    }
    const port = listen.port ?? this.flags.port;
    const publicUrl = this.flags['public-url'];
    if (!this.flags.foreground) {
      const { startDetached } = await import('../../cli/daemon.js');
      // The background server inherits the environment: the URL (maybe with a password) stays out of its argv.
      if (this.flags.database !== undefined) process.env.EBCLI_DATABASE_URL = this.flags.database;
      const s = await startDetached({ dataDir, port, host: listen.host, publicUrl });
      this.out(
        s.started
          ? `Control plane started at ${s.url} (pid ${s.pid}), data in ${dataDir}\n`
          : `Control plane already running at ${s.url} (pid ${s.pid})\n`,
      );
      return {
        url: s.url,
        publicUrl: s.publicUrl,
        pid: s.pid,
        dataDir,
        caFile: s.caFile,
        started: s.started,
        foreground: false,
      };
    }
    // The control plane's bundle when built (T15), else its modules.
    const { loadServerBundle } = await import('../../cli/server-bundle.js');
    const { startServer, waitForShutdownSignal } =
      (loadServerBundle() as typeof import('../../server/start.js') | undefined) ??
      (await import('../../server/start.js'));
    const server = await startServer({
      dataDir,
      database: this.flags.database,
      port,
      host: listen.host,
      publicUrl,
      writeStateFiles: true,
      logger: { level: process.env.EBCLI_LOG_LEVEL ?? 'info' },
    });
    const shutdown = waitForShutdownSignal();
    const shown = server.publicUrl === server.url ? server.url : `${server.url} (public URL ${server.publicUrl})`;
    this.out(`Control plane listening at ${shown} (pid ${process.pid}), data in ${dataDir}\n`);
    const signal = await shutdown;
    this.out(`Received ${signal}, shutting down\n`);
    await server.close();
    return {
      url: server.url,
      publicUrl: server.publicUrl,
      pid: process.pid,
      dataDir,
      started: true,
      foreground: true,
      signal,
    };
  }
}
