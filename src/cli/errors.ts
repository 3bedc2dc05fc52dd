import {
  ApiError,
  AuthenticationError,
  ConnectionError,
  IncompatibleReleaseError,
  NeverConnectedError,
  NotFoundError,
  PermissionDeniedError,
  TimeoutError,
  WaitTimeoutError,
} from '../client/errors.js';
import { ExitCode, type ExitCodeValue } from './exit-codes.js';
import { readableValidation } from './validation-message.js';

/** An error the CLI raises itself, carrying its exit code, a stable code string and an optional hint. */
export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode: ExitCodeValue,
    readonly code: string,
    readonly suggestion?: string,
  ) {
    super(message);
    this.name = new.target.name;
  }
}

export class UsageError extends CliError {
  constructor(message: string, suggestion?: string) {
    super(message, ExitCode.Usage, 'usage', suggestion);
  }
}

export class OperationFailedError extends CliError {
  constructor(
    message: string,
    readonly details?: unknown,
  ) {
    super(message, ExitCode.Failed, 'failed');
  }
}

export class PartialFailureError extends CliError {
  constructor(
    message: string,
    readonly results: unknown,
  ) {
    super(message, ExitCode.Partial, 'partial');
  }
}

export class AgentUnreachableError extends CliError {
  constructor(message: string) {
    super(message, ExitCode.AgentUnreachable, 'agent_unreachable', 'check the machine and its agent (`ebcli doctor`)');
  }
}

export class InterruptedError extends CliError {
  constructor() {
    super('interrupted', ExitCode.Interrupted, 'interrupted');
  }
}

export interface MappedError {
  code: string;
  message: string;
  exitCode: ExitCodeValue;
  suggestion?: string;
}

/** How the server words an agent it cannot reach (workflow activity and API messages). */
export const AGENT_DOWN =
  /agent[- ](is )?(unreachable|lost|disconnected|not connected)|agent of machine \S+ did not connect/i;

/** The one translation from thrown errors to the exit-code table. */
export function mapError(err: unknown): MappedError {
  const e = err as Error & { oclif?: { exit?: number }; parse?: unknown; code?: string; exitCode?: number };
  if (err instanceof CliError) {
    return { code: err.code, message: err.message, exitCode: err.exitCode, suggestion: err.suggestion };
  }
  if (err instanceof WaitTimeoutError) {
    return {
      code: 'timeout',
      message: `${err.message}; the operation may still be running`,
      exitCode: ExitCode.Timeout,
      suggestion: `keep waiting with \`ebcli wait ${err.ids.join(' ')}\``,
    };
  }
  if (err instanceof TimeoutError) {
    return {
      code: 'timeout',
      message: err.message,
      exitCode: ExitCode.Timeout,
      suggestion: 'retry, or raise --timeout',
    };
  }
  if (err instanceof AuthenticationError) {
    return { code: 'unauthenticated', message: err.message, exitCode: ExitCode.Auth, suggestion: 'run `ebcli login`' };
  }
  if (err instanceof PermissionDeniedError) {
    return { code: 'forbidden', message: err.message, exitCode: ExitCode.Auth };
  }
  if (err instanceof NotFoundError) {
    return { code: 'not_found', message: err.message, exitCode: ExitCode.NotFound };
  }
  if (err instanceof ApiError) {
    if (AGENT_DOWN.test(err.message)) {
      return { code: 'agent_unreachable', message: err.message, exitCode: ExitCode.AgentUnreachable };
    }
    const readable = err.status === 400 ? readableValidation(err.message) : undefined;
    if (readable) return { code: 'invalid_request', message: readable, exitCode: ExitCode.Failed };
    return { code: `http_${err.status}`, message: err.message, exitCode: ExitCode.Failed };
  }
  if (err instanceof NeverConnectedError) {
    return {
      code: 'unreachable',
      message: err.message,
      exitCode: ExitCode.AgentUnreachable,
      suggestion: 'check the URL and the server (`ebcli doctor`), or raise --connect-timeout',
    };
  }
  if (err instanceof ConnectionError) {
    return {
      code: 'connection',
      message: err.message,
      exitCode: ExitCode.Failed,
      suggestion: 'check the URL and the server (`ebcli doctor`)',
    };
  }
  if (err instanceof IncompatibleReleaseError) {
    return { code: 'incompatible_release', message: err.message, exitCode: ExitCode.Failed };
  }
  if (e?.name === 'ExitPromptError' || e?.name === 'AbortPromptError') {
    return { code: 'interrupted', message: 'interrupted', exitCode: ExitCode.Interrupted };
  }
  if (e?.parse !== undefined || e?.oclif?.exit === 2) {
    return { code: 'usage', message: e.message, exitCode: ExitCode.Usage };
  }
  return { code: 'error', message: e?.message ?? String(err), exitCode: ExitCode.Failed };
}

export class NotFoundCliError extends CliError {
  constructor(message: string) {
    super(message, ExitCode.NotFound, 'not_found');
  }
}
