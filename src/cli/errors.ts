import {
  ApiError,
  ConnectionError,
  IncompatibleReleaseError,
  NeverConnectedError,
  TimeoutError,
  WaitTimeoutError,
} from '../client/errors.js';
import type { ErrorCode } from '../shared/error-codes.js';
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
  /** The server's id of the failed request, when the server answered. */
  requestId?: string;
}

/** Exit code and hint per API error code; a code not listed exits 1 (the API refused). */
const API_CODES: Partial<Record<ErrorCode, { exitCode: ExitCodeValue; suggestion?: string }>> = {
  unauthenticated: { exitCode: ExitCode.Auth, suggestion: 'run `ebcli login`' },
  forbidden: { exitCode: ExitCode.Auth },
  not_found: { exitCode: ExitCode.NotFound },
  agent_unreachable: {
    exitCode: ExitCode.AgentUnreachable,
    suggestion: 'check the machine and its agent (`ebcli doctor`)',
  },
};

/** An API error by its machine-readable code (never by its wording). */
function mapApiError(err: ApiError): MappedError {
  const requestId = err.requestId === undefined ? {} : { requestId: err.requestId };
  const known = API_CODES[err.code];
  if (known) return { code: err.code, message: err.message, ...known, ...requestId };
  const readable = err.code === 'invalid' ? readableValidation(err.message) : undefined;
  return { code: err.code, message: readable ?? err.message, exitCode: ExitCode.Failed, ...requestId };
}

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
  if (err instanceof ApiError) return mapApiError(err);
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
