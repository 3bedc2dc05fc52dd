/**
 * Building blocks of the served documents' schemas (issue 16): the response schemas of the routes
 * (src/server) are built from these, and src/client/types.ts derives its types from them with
 * `Static<>` (type imports only: no TypeBox code reaches the CLI bundles).
 */
import { Type, type TSchema } from '@sinclair/typebox';

/** A CAM timestamp, UTC: `2026-12-05 06:00:00.123456`. */
export const Timestamp = Type.String({ pattern: '^\\d{4}-\\d{2}-\\d{2} \\d{2}:\\d{2}:\\d{2}(\\.\\d{1,6})?$' });

/** A string or null (one JSON type list, which fast-json-stringify writes without trying branches). */
export const NullableString = Type.Unsafe<string | null>({ type: ['string', 'null'] });
export const NullableTimestamp = Type.Unsafe<string | null>({ type: ['string', 'null'] });
export const NullableInteger = Type.Unsafe<number | null>({ type: ['integer', 'null'] });

/** A closed object: the fields listed are all a document has. */
export const Closed = <T extends Record<string, TSchema>>(properties: T, description?: string) =>
  Type.Object(properties, { additionalProperties: false, ...(description ? { description } : {}) });

/** Free-form JSON object (user-supplied data the server stores as given). */
export const FreeForm = Type.Record(Type.String(), Type.Unknown());

/** The fields every CAM document begins with. */
export const DocHead = { id: Type.String(), uri: Type.String(), schema: Type.String() };

/** `deleted`: null until the document is deleted (CAM serves it on most documents). */
export const Deleted = Type.Optional(NullableTimestamp);

/** A workspace's share of a document (boxes, instances, providers, workspaces). */
export const MemberRef = Closed({ role: Type.String(), workspace: Type.String() });

/** A file stored as a blob: an event script, readme, dockerfile or template. */
export const FileRef = Closed({
  url: Type.String(),
  upload_date: Type.Optional(NullableString),
  length: Type.Optional(Type.Integer()),
  destination_path: Type.Optional(NullableString),
  content_type: Type.Optional(NullableString),
});
