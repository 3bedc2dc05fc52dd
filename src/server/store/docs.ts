/** Helpers for CAM-shaped documents: schema URLs, uris and JSON columns. */
import { SCHEMA_BASE } from '../../shared/box-format.js';

export { SCHEMA_BASE, schemaName } from '../../shared/box-format.js';

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

/**
 * How `JSON.stringify` begins a document whose first keys are `id`, `uri` and `schema`, all
 * strings: a document as the store writes it (`toDoc`) and as the instance response schema begins
 * (src/shared/documents/instances.ts lists those three first, then the fields in the order a deploy
 * stores them).
 */
const DOCUMENT_HEAD = /^\{"id":"(?:[^"\\]|\\.)*","uri":"(?:[^"\\]|\\.)*","schema":"(?:[^"\\]|\\.)*"[,}]/;

/**
 * The JSON array of stored documents (each written by `toDoc`), spliced from their text instead of
 * parsed and serialised again (the instances list spent most of its time there: T14, issue 12).
 * Undefined when a document does not begin with `id`, `uri` and `schema`: the caller then answers
 * the parsed documents through the response schema. Either way the client reads the same documents
 * (test/server/instances-list-text.test.ts); in test runs the response guard checks the spliced
 * text against the schema too (src/server/http/response-guard.ts).
 */
export function documentArrayText(texts: string[]): string | undefined {
  for (const text of texts) if (!DOCUMENT_HEAD.test(text)) return undefined;
  return `[${texts.join(',')}]`;
}
