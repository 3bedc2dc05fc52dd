import { Type, type Static } from '@sinclair/typebox';
import { AUTOMATIC_UPDATES, VARIABLE_TYPES } from './box-format.js';
import { Scope, VariableName } from './identifiers.js';

/** A string limited to the given values; ajv then says "must be equal to one of the allowed values". */
export const OneOf = <T extends string>(values: readonly T[]) => Type.Unsafe<T>({ type: 'string', enum: [...values] });

/** Largest variable value, in bytes. */
export const MAX_VALUE_BYTES = 64 * 1024;
export const MAX_VARIABLES = 500;

export const VISIBILITIES = ['public', 'private', 'internal'] as const;

/** A box or instance variable (cam-api.md §3.3), as the server accepts and serves it. */
export const BoxVariableSchema = Type.Object(
  {
    name: VariableName,
    type: OneOf(VARIABLE_TYPES),
    value: Type.Optional(Type.String({ maxLength: MAX_VALUE_BYTES })),
    required: Type.Optional(Type.Boolean()),
    visibility: Type.Optional(OneOf(VISIBILITIES)),
    scope: Type.Optional(Scope),
    options: Type.Optional(Type.String({ maxLength: MAX_VALUE_BYTES })),
    automatic_updates: Type.Optional(OneOf(AUTOMATIC_UPDATES)),
    tags: Type.Optional(Type.Array(Type.String({ minLength: 1, maxLength: 128 }), { maxItems: 100 })),
  },
  { additionalProperties: false },
);
export type BoxVariableDoc = Static<typeof BoxVariableSchema>;
