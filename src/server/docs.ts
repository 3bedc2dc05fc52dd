/** Helpers for CAM-shaped documents: schema URLs, uris and JSON columns. */
import { SCHEMA_BASE } from '../shared/box-format.js';

export { SCHEMA_BASE, schemaName } from '../shared/box-format.js';

export const schemaUrl = (name: string): string => `${SCHEMA_BASE}${name}`;

export const parseDoc = <T>(text: string): T => JSON.parse(text) as T;
/**
 * A document without its top-level fields that have no value: optional fields are left out rather
 * than served as `null` (a box without an icon has no `icon` key). `deleted` stays, as CAM serves it.
 */
export function withoutNulls<T extends Record<string, unknown>>(doc: T): T {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(doc)) if (v !== null && v !== undefined) out[k] = v;
  if ('deleted' in doc) out.deleted = doc.deleted ?? null;
  return out as T;
}

export const toDoc = (value: unknown): string => JSON.stringify(value);
