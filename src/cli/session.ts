import type { EbClient } from '../client/client.js';
import {
  loadProfileStore,
  readLocalState,
  resolveSettings,
  LOCAL_PROFILE,
  type ResolvedSettings,
  type ResolveInput,
} from '../shared/config.js';
import { mapError, UsageError } from './errors.js';

/**
 * Settings and the API client for one command run, shared by the oclif base command and the
 * fast path in bin/run.js (so this module never imports oclif).
 */
export class Session {
  private resolved: ResolvedSettings | undefined;
  private clientInstance: EbClient | undefined;

  constructor(
    private readonly flags: ResolveInput['flags'],
    private readonly userAgent: string,
    private readonly note: (message: string) => void,
    /** Commands run from their bundles send requests over node:https; see `ClientOptions.plainRequests`. */
    private readonly plainRequests = false,
  ) {}

  /** Settings resolved from flags, environment, profile and the local profile, with their sources. */
  settings(refresh = false): ResolvedSettings {
    if (this.resolved && !refresh) return this.resolved;
    this.resolved = resolveSettings({
      flags: this.flags,
      env: process.env,
      store: loadProfileStore(),
      local: readLocalState(),
    });
    return this.resolved;
  }

  /** The API client, built on first use; with the local profile the embedded server is started if needed. */
  async client(): Promise<EbClient> {
    if (this.clientInstance) return this.clientInstance;
    let s = this.settings();
    if (s.missingProfile) {
      throw new UsageError(
        `profile "${s.profile.value}" does not exist`,
        `run \`ebcli login --profile ${s.profile.value}\``,
      );
    }
    if (s.isLocal && !readLocalState(process.env, s.dataDir).running) {
      await this.startLocalServer(s.dataDir);
      s = this.settings(true);
    }
    if (!s.url.value) throw new UsageError('no control plane URL', 'pass --url, set EBCLI_URL, or run `ebcli login`');
    const { EbClient } = await import('../client/client.js');
    this.clientInstance = new EbClient({
      url: s.url.value,
      token: s.token.value,
      caFile: s.caFile.value,
      userAgent: this.userAgent,
      plainRequests: this.plainRequests,
    });
    return this.clientInstance;
  }

  private async startLocalServer(dataDir: string): Promise<void> {
    this.note(`Starting the embedded control plane (profile ${LOCAL_PROFILE}, data in ${dataDir})…`);
    const { startDetached } = await import('./daemon.js');
    const status = await startDetached({ dataDir });
    this.note(`Control plane running at ${status.url} (pid ${status.pid}); stop it with \`ebcli server stop\`.`);
  }

  async close(): Promise<void> {
    await this.clientInstance?.close().catch(() => undefined);
  }
}

/**
 * Prints an error the one way ebcli does (JSON on stdout under --json, on one line when the command
 * streams NDJSON; text on stderr) and returns its exit code.
 */
export function reportError(err: unknown, json: boolean, oneLine = false): number {
  const m = mapError(err);
  if (json) {
    const e = err as { results?: unknown; details?: unknown };
    const details = e?.results ?? e?.details;
    const error = {
      code: m.code,
      message: m.message,
      exitCode: m.exitCode,
      ...(m.requestId === undefined ? {} : { requestId: m.requestId }),
      ...(details === undefined ? {} : { details }),
    };
    process.stdout.write(`${oneLine ? JSON.stringify({ error }) : JSON.stringify({ error }, null, 2)}\n`);
  } else {
    process.stderr.write(`Error: ${m.message}\n`);
    if (m.suggestion) process.stderr.write(`Hint: ${m.suggestion}\n`);
    if (m.requestId) process.stderr.write(`Request id: ${m.requestId}\n`);
    if (process.env.DEBUG && (err as Error)?.stack) process.stderr.write(`${(err as Error).stack}\n`);
  }
  return m.exitCode;
}
