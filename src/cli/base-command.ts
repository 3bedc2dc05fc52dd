import { Command, Errors, Flags, type Interfaces } from '@oclif/core';
import type { EbClient } from '../client/client.js';
import type { ResolvedSettings } from '../shared/config.js';
import { runningBundled } from './bundled-command.js';
import { UsageError } from './errors.js';
import { ExitCode } from './exit-codes.js';
import { interruptMessage } from './interrupt.js';
import { checkJsonFields, extractJsonFields, projectJson } from './json-fields.js';
import { unknownFlagMessage } from './not-found.js';
import { colorEnabled, style, type Style } from './render/style.js';
import { renderFields, renderTable, type Column } from './render/table.js';
import { reportError, Session } from './session.js';
import { exitAfterFlush, INTERRUPT_FLUSH_MS } from './stdio.js';

export type FlagsOf<T extends typeof Command> = Interfaces.InferredFlags<
  (typeof BaseCommand)['baseFlags'] & T['flags']
>;
export type ArgsOf<T extends typeof Command> = Interfaces.InferredArgs<T['args']>;

/** What shared command helpers may use: the client, notes on stderr, data on stdout. */
export interface CommandHost {
  client(): Promise<EbClient>;
  note(message: string): void;
  out(text: string): void;
  jsonEnabled(): boolean;
  /** The field list of `--json LIST`, if one was given. */
  jsonFields?: string[];
  /** `-q/--quiet`: ids only. */
  quiet?: boolean;
}

/**
 * The one base command: `--json` (oclif's enableJsonFlag), the global `--profile` and `--url`
 * flags, settings resolution, a lazily built client, and the single `catch()` that turns errors
 * into the exit-code table. stdout carries data only; notes and warnings go to stderr.
 */
export abstract class BaseCommand<T extends typeof Command> extends Command {
  static override enableJsonFlag = true;

  static override baseFlags = {
    profile: Flags.string({
      description: 'profile to use (default: EBCLI_PROFILE, the current profile, else local)',
      helpGroup: 'GLOBAL',
    }),
    url: Flags.string({ description: 'control plane URL (default: EBCLI_URL or the profile)', helpGroup: 'GLOBAL' }),
    json: Flags.boolean({
      description: 'Format output as json; `--json id,name` (or --json=id,name) keeps only those fields',
      helpGroup: 'GLOBAL',
    }),
  };

  /** Fields `--json LIST` may name, checked before the command acts (else checked on its result). */
  static jsonFields: readonly string[] | undefined;

  /** Commands that handle SIGINT themselves (a foreground server) turn this off. */
  static exitOnInterrupt = true;

  protected flags!: FlagsOf<T>;
  protected args!: ArgsOf<T>;
  /** Every positional argument (for commands with `strict = false`, the variadic ones). */
  protected argvRest: string[] = [];
  /** The field list of `--json LIST`, if one was given. */
  protected jsonFields: string[] | undefined;
  private session: Session | undefined;
  private outStyle: Style | undefined;

  public override async init(): Promise<void> {
    await super.init();
    const ctor = this.ctor as typeof BaseCommand;
    const takesArgs = ctor.strict === false || Object.keys(ctor.args ?? {}).length > 0;
    const json = extractJsonFields(this.argv, takesArgs);
    this.argv = json.argv;
    this.jsonFields = json.fields;
    if (json.fields && ctor.jsonFields) checkJsonFields(json.fields, ctor.jsonFields);
    if (ctor.exitOnInterrupt) {
      process.once('SIGINT', () => {
        process.stderr.write(`\n${interruptMessage()}\n`);
        exitAfterFlush(ExitCode.Interrupted, { withinMs: INTERRUPT_FLUSH_MS });
      });
    }
    const { args, flags, argv } = await this.parse({
      flags: ctor.flags,
      baseFlags: ctor.baseFlags,
      enableJsonFlag: ctor.enableJsonFlag,
      args: ctor.args,
      strict: ctor.strict,
    });
    this.flags = flags as FlagsOf<T>;
    this.args = args as ArgsOf<T>;
    this.argvRest = argv.map(String);
  }

  private getSession(): Session {
    if (!this.session) {
      const flags = this.flags as Record<string, unknown>;
      const str = (v: unknown) => (typeof v === 'string' ? v : undefined);
      this.session = new Session(
        {
          profile: str(flags.profile),
          url: str(flags.url),
          caFile: str(flags['ca-file']),
          workspace: str(flags.workspace),
        },
        this.config.userAgent,
        (m) => this.note(m),
        runningBundled(),
      );
    }
    return this.session;
  }

  /** Settings as resolved from flags, environment, profile and the local profile, with their sources. */
  protected settings(): ResolvedSettings {
    return this.getSession().settings();
  }

  /** The API client, built on first use; with the local profile the embedded server is started if needed. */
  protected client(): Promise<EbClient> {
    return this.getSession().client();
  }

  /** The workspace to act in: the flag, EBCLI_WORKSPACE or the profile, else the user's default. */
  protected async workspace(flag?: string): Promise<string> {
    return this.configuredWorkspace(flag) ?? (await (await this.client()).profile.retrieve()).workspace;
  }

  /** The workspace the flag, EBCLI_WORKSPACE or the profile names, if any (no request). */
  protected configuredWorkspace(flag?: string): string | undefined {
    return flag || this.settings().workspace.value || undefined;
  }

  protected host(): CommandHost {
    return {
      client: () => this.client(),
      note: (m) => this.note(m),
      out: (t) => this.out(t),
      jsonEnabled: () => this.jsonEnabled(),
      jsonFields: this.jsonFields,
      quiet: Boolean((this.flags as { quiet?: boolean }).quiet),
    };
  }

  protected get stdoutTty(): boolean {
    return Boolean(process.stdout.isTTY);
  }

  /** Writes data to stdout (nothing under --json: the returned result is printed instead). */
  protected out(text: string): void {
    if (!this.jsonEnabled()) process.stdout.write(text);
  }

  /** A progress or status line on stderr. */
  protected note(message: string): void {
    process.stderr.write(`${message}\n`);
  }

  protected async style(): Promise<Style> {
    this.outStyle ??= await style(colorEnabled(process.stdout));
    return this.outStyle;
  }

  protected async table<R>(rows: R[], columns: Column<R>[]): Promise<void> {
    if (this.jsonEnabled()) return;
    if ((this.flags as { quiet?: boolean }).quiet) {
      this.out(rows.map((r) => `${String((r as { id?: unknown }).id)}\n`).join(''));
      return;
    }
    this.out(renderTable(rows, columns, { tty: this.stdoutTty, style: await this.style() }));
  }

  protected async fields(fields: [string, unknown][]): Promise<void> {
    if (this.jsonEnabled()) return;
    this.out(renderFields(fields, { tty: this.stdoutTty, style: await this.style() }));
  }

  /**
   * Under `--json`, a command run with `--follow` streams NDJSON: its result and its error are one
   * line each, like the events before them.
   */
  protected ndjson(): boolean {
    return this.jsonEnabled() && (this.flags as Record<string, unknown> | undefined)?.follow === true;
  }

  /** `--json LIST` keeps only the fields listed. */
  public override toSuccessJson(result: unknown): unknown {
    if (!this.jsonFields) return result;
    try {
      return projectJson(result, this.jsonFields);
    } catch (err) {
      // An unknown field found on the result (commands without a declared field list): the same
      // JSON error envelope and exit code 2 as the check before the command acts.
      this.exit(reportError(err, true, this.ndjson()));
      throw err;
    }
  }

  /** JSON without colour so that output is the same on a TTY and in a pipe. */
  public override logJson(json: unknown): void {
    process.stdout.write(`${this.ndjson() ? JSON.stringify(json) : JSON.stringify(json, null, 2)}\n`);
  }

  public override async catch(err: Error): Promise<never> {
    if (err instanceof Errors.ExitError) throw err;
    this.exit(reportError(this.withFlagSuggestions(err), this.jsonEnabled(), this.ndjson()));
    throw err;
  }

  /** oclif's "Nonexistent flag" parse error, with "did you mean" (as a usage error, exit 2). */
  private withFlagSuggestions(err: Error): Error {
    const unknown = (err as { flags?: unknown }).flags;
    if (!Array.isArray(unknown) || !/^Nonexistent flags?:/.test(err.message)) return err;
    const ctor = this.ctor as typeof BaseCommand;
    const known = Object.entries({ ...ctor.baseFlags, ...ctor.flags }).map(([name, f]) => ({ name, char: f.char }));
    const id = (ctor.id ?? '').replaceAll(':', ' ');
    return new UsageError(unknownFlagMessage(unknown.map(String), known), `see \`ebcli ${id} --help\``);
  }

  public override async finally(err: Error | undefined): Promise<void> {
    await this.session?.close();
    await super.finally(err);
  }
}
