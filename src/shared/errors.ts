import { Type, type Static } from '@sinclair/typebox';
import { ERROR_CODES } from './error-codes.js';

export * from './error-codes.js';

/** The body of every error response. */
export const ErrorBody = Type.Object(
  {
    message: Type.String(),
    code: Type.Union(ERROR_CODES.map((c) => Type.Literal(c))),
  },
  { additionalProperties: false },
);
export type ErrorBody = Static<typeof ErrorBody>;
