/** An error the API answers with its own status and `{"message": …}`. */
export class HttpError extends Error {
  constructor(
    readonly statusCode: number,
    message: string,
  ) {
    super(message);
    this.name = 'HttpError';
  }
}

export const badRequest = (message: string) => new HttpError(400, message);
export const unauthorized = (message = 'Authentication required') => new HttpError(401, message);
export const forbidden = (message = 'Forbidden') => new HttpError(403, message);
export const notFound = (what: string, id: string) => new HttpError(404, `${what} ${id} not found`);
export const conflict = (message: string) => new HttpError(409, message);
