import { BLOB_ID } from '../../shared/ids.js';

/** Largest blob the API stores: File variables and event scripts alike are limited to 10 MB. */
export const MAX_BLOB_BYTES = 10 * 1024 * 1024;

const DOWNLOAD_PATH = '/services/blobs/download/';
const BLOB_URL = /^(?:https?:\/\/[^/?#]+)?\/services\/blobs\/download\/([^/?#]*)\/([^/?#]+)$/;

/** The relative download URL of a blob, with the file name percent-encoded. */
export const blobUrl = (id: string, name: string): string => `${DOWNLOAD_PATH}${id}/${encodeURIComponent(name)}`;

/** Why a file name cannot name a blob, or undefined when it can. */
export function fileNameProblem(name: string): string | undefined {
  if (name.length === 0) return 'File name is empty';
  if (name.length > 255) return 'File name is longer than 255 characters';
  if (name === '.' || name === '..') return `File name '${name}' is not allowed`;
  if (/[/\\]/.test(name)) return 'File name must not contain / or \\';
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f]/.test(name)) return 'File name must not contain control characters';
  return undefined;
}

export interface BlobRef {
  id: string;
  /** The name segment as written in the URL (possibly percent-encoded). */
  rawName: string;
}

/** True when the string points at the blob download endpoint, well-formed or not. */
export const looksLikeBlobUrl = (url: string): boolean =>
  /^(?:https?:\/\/[^/?#]+)?\/services\/blobs\/download\//.test(url);

/** Parses `[origin]/services/blobs/download/<id>/<name>`; undefined when malformed. */
export function parseBlobUrl(url: string): BlobRef | undefined {
  const match = BLOB_URL.exec(url);
  if (!match || !BLOB_ID.test(match[1] ?? '')) return undefined;
  return { id: match[1] as string, rawName: match[2] as string };
}

/** Whether the URL's name segment names the stored file, encoded or not. */
export function nameMatches(ref: BlobRef, storedName: string): boolean {
  if (ref.rawName === storedName) return true;
  try {
    return decodeURIComponent(ref.rawName) === storedName;
  } catch {
    return false;
  }
}
