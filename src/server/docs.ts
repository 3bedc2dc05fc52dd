/** Helpers for CAM-shaped documents: schema URLs, uris and JSON columns. */
import { SCHEMA_BASE } from '../shared/box-format.js';

export { SCHEMA_BASE, schemaName } from '../shared/box-format.js';

export const schemaUrl = (name: string): string => `${SCHEMA_BASE}${name}`;

export const parseDoc = <T>(text: string): T => JSON.parse(text) as T;
export const toDoc = (value: unknown): string => JSON.stringify(value);
