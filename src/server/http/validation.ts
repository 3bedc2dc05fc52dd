import { AjvCompiler } from '@fastify/ajv-compiler';
import { SerializerSelector } from '@fastify/fast-json-stringify-compiler';
import type { FastifyServerOptions } from 'fastify';

/** Ajv options shared by every part of a request. */
export const AJV = { removeAdditional: false, coerceTypes: false, useDefaults: true, allErrors: false } as const;

type RouteSchema = { httpPart?: string } & Record<string, unknown>;
type Build = (
  externalSchemas: unknown,
  options: { customOptions?: Record<string, unknown> },
) => (r: RouteSchema) => unknown;

type Validate = ((data: unknown) => unknown) & { errors?: unknown };

/**
 * A validator compiled on its first call instead of at start-up: compiling every route's schemas
 * up front was the largest part of a cold start (T15, issue 12), and a CLI command that starts the
 * embedded control plane uses a handful of routes. Fastify reads `errors` off the function it was
 * given after a failed call, so the compiled validator's errors are copied onto it.
 */
function lazyValidator(compile: () => unknown): Validate {
  let compiled: Validate | undefined;
  const validate: Validate = (data) => {
    compiled ??= compile() as Validate;
    const result = compiled(data);
    validate.errors = compiled.errors;
    return result;
  };
  return validate;
}

type Serialize = (data: unknown) => string;
type BuildSerializer = (externalSchemas: unknown, options: unknown) => (r: Record<string, unknown>) => Serialize;

/**
 * A response serializer compiled on its first call, for the same reason as `lazyValidator`:
 * fast-json-stringify (with the Ajv instance it makes for each schema) compiling every route's
 * response schemas was the next largest part of a cold start (T15). A schema fast-json-stringify
 * refuses now fails the first response of its route instead of the start (tests cover each route).
 */
function lazySerializer(compile: () => Serialize): Serialize {
  let compiled: Serialize | undefined;
  return (data) => (compiled ??= compile())(data);
}

/**
 * Request validation (cam-api.md §2.4, §9 #21): a body's unknown fields are dropped, not refused,
 * so historical clients that send more than ebcli knows keep working; wrong types of known fields
 * are still refused. Ajv's `removeAdditional: true` strips exactly what a schema closes with
 * `additionalProperties: false`. Query strings, params and headers stay strict (a token in the
 * query string, for one, must be refused rather than ignored).
 */
export function validatorOptions(): Pick<FastifyServerOptions, 'ajv' | 'schemaController'> {
  const factory = AjvCompiler() as unknown as Build;
  const serializers = SerializerSelector() as unknown as BuildSerializer;
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
          return (route: RouteSchema) => lazyValidator(() => (route.httpPart === 'body' ? lenient : strict)(route));
        }) as never,
        buildSerializer: ((externalSchemas: unknown, options: unknown) => {
          const build = serializers(externalSchemas, options);
          return (route: Record<string, unknown>) => lazySerializer(() => build(route));
        }) as never,
      },
    },
  };
}
