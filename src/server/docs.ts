/** Helpers for CAM-shaped documents: schema URLs, uris and JSON columns. */
export const SCHEMA_BASE = 'http://elasticbox.net/schemas/';

export const schemaUrl = (name: string): string => `${SCHEMA_BASE}${name}`;

/** Drops a leading date segment (`…/schemas/2014-10-09/x` → `x`) so old clients' schemas match. */
export function schemaName(url: string): string | undefined {
  if (!url.startsWith(SCHEMA_BASE)) return undefined;
  return url.slice(SCHEMA_BASE.length).replace(/^\d{4}-\d{2}-\d{2}\//, '');
}

export const parseDoc = <T>(text: string): T => JSON.parse(text) as T;
export const toDoc = (value: unknown): string => JSON.stringify(value);
