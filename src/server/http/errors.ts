import { codeForStatus, type ErrorCode } from '../../shared/errors.js';

/** An error the API answers with its own status and `{"message": …, "code": …}` (shared/errors.ts). */
export class HttpError extends Error {
  readonly code: ErrorCode;
  constructor(
    readonly statusCode: number,
    message: string,
    code?: ErrorCode,
  ) {
    super(message);
    this.name = 'HttpError';
    this.code = code ?? codeForStatus(statusCode);
  }
}

export const badRequest = (message: string) => new HttpError(400, message);
export const unauthorized = (message = 'Authentication required') => new HttpError(401, message);
export const forbidden = (message = 'Forbidden') => new HttpError(403, message);
export const notFound = (what: string, id: string) => new HttpError(404, `${what} ${id} not found`);
export const conflict = (message: string) => new HttpError(409, message);
/** 409 for a name (or version) that is taken: `already_exists`, unlike a busy resource's `conflict`. */
export const alreadyExists = (message: string) => new HttpError(409, message, 'already_exists');
