/**
 * Test-mode response guard (issue 16). fastify writes responses with fast-json-stringify, which
 * silently DROPS the properties a closed response schema does not list and coerces wrong types. With
 * `EBCLI_CHECK_RESPONSES=1` (the whole vitest run sets it: vitest.config.ts) every JSON response is
 * checked against its route's schema for its status, strictly: each object schema that lists
 * properties is checked as if it were closed (`additionalProperties: false`), so a field the handler
 * returns but the schema does not list fails the request with a 500 naming the route, the status and
 * the field's path. The serialized text is then parsed back and compared with what the handler
 * returned, so nothing the serializer changed (a union branch chosen too early, a coerced type) passes.
 * Free-form parts of documents are declared as `Type.Record` (patternProperties) or `Type.Unknown`,
 * which stay open. Unset (production), none of this is registered and costs nothing.
 */
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { appendFileSync } from 'node:fs';
import { isDeepStrictEqual } from 'node:util';
import { HttpError } from './errors.js';
export const CHECK_RESPONSES_ENV = 'EBCLI_CHECK_RESPONSES';

export const responsesChecked = (): boolean => process.env[CHECK_RESPONSES_ENV] === '1';

/**
 * A test sees the guard's refusal as a 500 it may not print; with `EBCLI_CHECK_RESPONSES_LOG=<file>`
 * each refusal is also appended to that file, to list every one of a run (servers in child processes too).
 */
function refusal(message: string): HttpError {
  const log = process.env.EBCLI_CHECK_RESPONSES_LOG;
  if (log) appendFileSync(log, `${message}\n`);
  return new HttpError(500, message, 'internal');
}

type Json = Record<string, unknown>;

/** A copy of `schema` where every object schema is closed unless it is a declared map (`Type.Record`). */
export function strictSchema(schema: unknown): unknown {
  if (Array.isArray(schema)) return schema.map(strictSchema);
  if (schema === null || typeof schema !== 'object') return schema;
  const out: Json = {};
  for (const [k, v] of Object.entries(schema as Json)) {
    // The values of `properties`/`patternProperties` are maps of schemas, not schemas.
    if ((k === 'properties' || k === 'patternProperties') && v && typeof v === 'object') {
      out[k] = Object.fromEntries(Object.entries(v as Json).map(([p, s]) => [p, strictSchema(s)]));
    } else out[k] = strictSchema(v);
  }
  const isObject = out.type === 'object' || out.properties !== undefined;
  const isMap =
    out.patternProperties !== undefined ||
    (out.additionalProperties !== null && typeof out.additionalProperties === 'object');
  if (isObject && !isMap) out.additionalProperties = false;
  return out;
}

function describe(errors: ErrorObject[] | null | undefined): string {
  return (errors ?? [])
    .slice(0, 5)
    .map((e) =>
      e.keyword === 'additionalProperties'
        ? `${e.instancePath}/${(e.params as { additionalProperty: string }).additionalProperty} is not in the schema`
        : `${e.instancePath || '/'} ${e.message ?? 'is invalid'}`,
    )
    .join('; ');
}

/** The first path where `a` and `b` differ (JSON values). */
function firstDifference(a: unknown, b: unknown, path = ''): string | undefined {
  if (isDeepStrictEqual(a, b)) return undefined;
  if (a && b && typeof a === 'object' && typeof b === 'object' && Array.isArray(a) === Array.isArray(b)) {
    const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
    for (const k of keys) {
      const d = firstDifference((a as Json)[k], (b as Json)[k], `${path}/${k}`);
      if (d !== undefined) return d;
    }
  }
  return path || '/';
}

function responseSchema(req: FastifyRequest, status: number): unknown {
  const response = (req.routeOptions.schema as { response?: Record<string, unknown> } | undefined)?.response;
  if (!response) return undefined;
  const s = String(status);
  return response[s] ?? response[`${s[0]}xx`] ?? response.default;
}

const isJson = (reply: FastifyReply): boolean => {
  const type = reply.getHeader('content-type');
  return type === undefined || String(type).includes('json');
};

/** Registers the guard's hooks on `app` (only when `EBCLI_CHECK_RESPONSES=1`: src/server/app.ts). */
export function registerResponseGuard(app: FastifyInstance): void {
  const ajv = new Ajv({ strict: false, allErrors: true, validateFormats: false });
  const compiled = new WeakMap<object, ValidateFunction>();
  /** What the handler returned (as JSON would carry it), to compare with what was written. */
  const expected = new WeakMap<FastifyRequest, unknown>();

  const check = (req: FastifyRequest, status: number, payload: unknown): void => {
    const schema = responseSchema(req, status);
    if (!schema || typeof schema !== 'object') {
      // A JSON success answer of a documented route must be described too (the OpenAPI document).
      const hidden = (req.routeOptions.schema as { hide?: boolean } | undefined)?.hide === true;
      if (status >= 200 && status < 300 && !hidden && req.routeOptions.url !== undefined) {
        throw refusal(`response of ${req.method} ${req.routeOptions.url} (${status}) has no response schema`);
      }
      return;
    }
    let validate = compiled.get(schema);
    if (!validate) {
      validate = ajv.compile(strictSchema(schema) as object);
      compiled.set(schema, validate);
    }
    if (!validate(payload)) {
      throw refusal(
        `response of ${req.method} ${req.routeOptions.url} (${status}) does not match its schema: ${describe(validate.errors)}`,
      );
    }
  };

  app.addHook('preSerialization', async (req, reply, payload) => {
    if (payload === null || typeof payload !== 'object' || Buffer.isBuffer(payload)) return payload;
    const asJson: unknown = JSON.parse(JSON.stringify(payload));
    check(req, reply.statusCode, asJson);
    expected.set(req, asJson);
    return payload;
  });

  app.addHook('onSend', async (req, reply, payload) => {
    if (typeof payload !== 'string' || !isJson(reply)) return payload;
    const written: unknown = JSON.parse(payload);
    if (!expected.has(req)) {
      // Text the handler sent as it is (a spliced list of stored documents: store/docs.ts).
      check(req, reply.statusCode, written);
      return payload;
    }
    const want = expected.get(req);
    expected.delete(req);
    const where = firstDifference(want, written);
    if (where !== undefined) {
      throw refusal(
        `response of ${req.method} ${req.routeOptions.url} (${reply.statusCode}): the serializer changed ${where}`,
      );
    }
    return payload;
  });
}
