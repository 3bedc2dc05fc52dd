import { ErrorBody } from '../../shared/errors.js';
import { Type, type TSchema, type TUnsafe } from '@sinclair/typebox';

/** Standard error responses (`{message, code}`, shared/errors.ts), so the OpenAPI document lists them. */
export const errors = (...codes: number[]): Record<number, TSchema> =>
  Object.fromEntries(codes.map((c) => [c, ErrorBody]));

export const IdParam = (name: string, pattern?: string) =>
  Type.Object({ [name]: Type.String({ minLength: 1, maxLength: 128, ...(pattern ? { pattern } : {}) }) });

/** `?ids=a,b,` as JP and ebcli send it; empty items are ignored. */
export const IdsQuery = Type.Object(
  {
    ids: Type.Optional(Type.String({ maxLength: 64 * 1024 })),
    limit: Type.Optional(Type.String({ pattern: '^[0-9]{1,6}$' })),
  },
  { additionalProperties: true },
);

export function parseIds(ids: string | undefined): string[] | undefined {
  if (ids === undefined) return undefined;
  return ids
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
}

export const Timestamp = Type.String({ pattern: '^\\d{4}-\\d{2}-\\d{2} \\d{2}:\\d{2}:\\d{2}(\\.\\d{1,6})?$' });

/**
 * A document's response schema, typed `unknown` for the handler: the stores type documents as open
 * records (their JSON comes from the database), so the schema is not checked against the handler's
 * return type by the compiler; the test-mode response guard checks it on every response instead
 * (http/response-guard.ts). The JSON schema itself (serializer, OpenAPI) is the document's own.
 */
export const served = <T extends TSchema>(schema: T): TUnsafe<unknown> => Type.Unsafe<unknown>(schema);
