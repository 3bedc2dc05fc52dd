import { RELEASE } from '../shared/release.js';
import { codeForStatus, isErrorCode, REQUEST_ID_HEADER, type ErrorCode } from '../shared/error-codes.js';

/** Base of every error the client throws. */
export class EbClientError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}

export interface ApiErrorInit {
  status: number;
  message: string;
  method: string;
  path: string;
  headers?: Record<string, string | string[] | undefined>;
  body?: unknown;
}

/**
 * The server answered with a non-2xx status. One subclass per status family, built by
 * {@link ApiError.from}. `code` is the body's stable error code (shared/error-codes.ts), or the one its
 * status implies when the server sent none (a CAM server answers `{message}` only).
 */
export class ApiError extends EbClientError {
  readonly status: number;
  readonly code: ErrorCode;
  readonly method: string;
  readonly path: string;
  readonly headers: Record<string, string | string[] | undefined>;
  readonly body: unknown;
  /** The server's id for the request (`x-request-id`), to quote when reporting a problem. */
  readonly requestId: string | undefined;

  constructor(init: ApiErrorInit) {
    super(init.message);
    this.status = init.status;
    this.method = init.method;
    this.path = init.path;
    this.headers = init.headers ?? {};
    this.body = init.body;
    const sent = (init.body as { code?: unknown } | undefined)?.code;
    this.code = isErrorCode(sent) ? sent : codeForStatus(init.status);
    const id = this.headers[REQUEST_ID_HEADER];
    this.requestId = Array.isArray(id) ? id[0] : id;
  }

  /** The one factory: picks the subclass for a status. */
  static from(init: ApiErrorInit): ApiError {
    const Ctor = STATUS_CLASSES[init.status] ?? (init.status >= 500 ? InternalServerError : ApiError);
    return new Ctor(init);
  }
}

export class BadRequestError extends ApiError {}
export class AuthenticationError extends ApiError {}
export class PermissionDeniedError extends ApiError {}
export class NotFoundError extends ApiError {}
export class ConflictError extends ApiError {}
export class PayloadTooLargeError extends ApiError {}
export class RateLimitError extends ApiError {}
export class InternalServerError extends ApiError {}

const STATUS_CLASSES: Record<number, new (init: ApiErrorInit) => ApiError> = {
  400: BadRequestError,
  401: AuthenticationError,
  403: PermissionDeniedError,
  404: NotFoundError,
  409: ConflictError,
  413: PayloadTooLargeError,
  429: RateLimitError,
};

/** The server could not be reached (refused, reset, DNS, TLS, proxy). */
export class ConnectionError extends EbClientError {
  readonly code: string | undefined;
  constructor(message: string, options?: { cause?: unknown; code?: string }) {
    super(message, options);
    this.code = options?.code;
  }
}

/** A stream never reached the server within its connect timeout (no connection ever succeeded). */
export class NeverConnectedError extends ConnectionError {
  constructor(
    message: string,
    readonly timeoutMs: number,
  ) {
    super(message);
  }
}

/** A request took longer than its timeout. */
export class TimeoutError extends EbClientError {}

/** The server speaks another `ElasticBox-Release` than this client. */
export class IncompatibleReleaseError extends EbClientError {
  constructor(readonly release: string) {
    super(`Incompatible API release ${release}: ebcli speaks ${RELEASE}`);
  }
}

/** Waiting for an instance to reach a state took longer than allowed; the operation may still be running. */
export class WaitTimeoutError extends EbClientError {
  constructor(
    message: string,
    readonly ids: string[],
  ) {
    super(message);
  }
}
