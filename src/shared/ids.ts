import { randomBytes, randomUUID } from 'node:crypto';

const LOWER_ALNUM = 'abcdefghijklmnopqrstuvwxyz0123456789';

function randomAlnum(length: number): string {
  // Rejection sampling keeps every character equally likely.
  let out = '';
  while (out.length < length) {
    for (const byte of randomBytes(length * 2)) {
      if (byte < 252 && out.length < length) out += LOWER_ALNUM[byte % 36];
    }
  }
  return out;
}

/** Instance id in the CAM form `i-xxxxxx`. */
export const newInstanceId = (): string => `i-${randomAlnum(6)}`;
/** Service id in the CAM form `eb-xxxxx`. */
export const newServiceId = (): string => `eb-${randomAlnum(5)}`;
/** Blob id: 24 lowercase hex characters. */
export const newBlobId = (): string => randomBytes(12).toString('hex');
/** UUID4 for boxes, versions, providers, tokens and request ids. */
export const newUuid = (): string => randomUUID();

/** Longest instance name, as CAM allowed (cam-api.md §2.4's 30 was the 2014 limit). */
export const MAX_INSTANCE_NAME = 255;

/**
 * The instance a deploy of an application box creates for one of its services:
 * `<request name>-<service name>`, cut to {@link MAX_INSTANCE_NAME} (a design choice: CAM's rule
 * is not recorded; the prefix lets one application box be deployed more than once).
 */
export const applicationInstanceName = (name: string, service: string): string =>
  `${name}-${service}`.slice(0, MAX_INSTANCE_NAME);

export const INSTANCE_ID = /^i-[a-z0-9]{6}$/;
export const BLOB_ID = /^[0-9a-f]{24}$/;
export const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** Lower-cased slug with anything outside `[a-z0-9-]` replaced by `-` (JP `Client.getPageUrl`). */
export function slugify(name: string): string {
  return name.toLowerCase().replace(/[^a-z0-9-]/g, '-');
}
