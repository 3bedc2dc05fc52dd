import { AjvCompiler } from '@fastify/ajv-compiler';
import type { FastifyServerOptions } from 'fastify';

/** Ajv options shared by every part of a request. */
const AJV = { removeAdditional: false, coerceTypes: false, useDefaults: true, allErrors: false } as const;

type RouteSchema = { httpPart?: string } & Record<string, unknown>;
type Build = (
  externalSchemas: unknown,
  options: { customOptions?: Record<string, unknown> },
) => (r: RouteSchema) => unknown;

/**
 * Request validation (cam-api.md §2.4, §9 #21): a body's unknown fields are dropped, not refused,
 * so historical clients that send more than ebcli knows keep working; wrong types of known fields
 * are still refused. Ajv's `removeAdditional: true` strips exactly what a schema closes with
 * `additionalProperties: false`. Query strings, params and headers stay strict (a token in the
 * query string, for one, must be refused rather than ignored).
 */
export function validatorOptions(): Pick<FastifyServerOptions, 'ajv' | 'schemaController'> {
  const factory = AjvCompiler() as unknown as Build;
  return {
    ajv: { customOptions: AJV },
    schemaController: {
      compilersFactory: {
        buildValidator: ((externalSchemas: unknown, options: { customOptions?: Record<string, unknown> }) => {
          const strict = factory(externalSchemas, options);
          const lenient = factory(externalSchemas, {
            ...options,
            customOptions: { ...options.customOptions, removeAdditional: true },
          });
          return (route: RouteSchema) => (route.httpPart === 'body' ? lenient : strict)(route);
        }) as never,
      },
    },
  };
}
