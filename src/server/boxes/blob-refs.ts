import type { AuthUser } from '../context.js';
import { looksLikeBlobUrl, nameMatches, parseBlobUrl } from './blob-urls.js';
import { badRequest } from '../http/errors.js';
import { canReadBlob, getBlobMeta } from './blob-store.js';
import type { BoxDoc } from './store.js';
import type { Db } from '../store/db.js';

const short = (s: string) => (s.length > 80 ? `${s.slice(0, 77)}...` : s);

/**
 * Checks that a URL names a stored blob the user may read. `where` names the field in the message;
 * an unknown blob and one the user may not read are reported alike.
 */
export async function checkBlobUrl(db: Db, user: AuthUser, url: string, where: string): Promise<void> {
  const ref = parseBlobUrl(url);
  if (!ref) throw badRequest(`${where}: '${short(url)}' is not a blob URL (/services/blobs/download/<id>/<name>)`);
  const blob = await getBlobMeta(db, ref.id);
  if (!blob || !nameMatches(ref, blob.name) || !(await canReadBlob(db, user.id, blob)))
    throw badRequest(`${where}: blob ${ref.id}/${ref.rawName} does not exist or you cannot read it`);
}

/** Ids of every blob a box document points at: events, File variables, files, readme, icon, dockerfile, template. */
export function blobIdsOf(doc: BoxDoc): string[] {
  const urls: unknown[] = [doc.icon];
  const refs = [doc.readme, doc.dockerfile, doc.template, ...(Array.isArray(doc.files) ? doc.files : [])];
  refs.push(...Object.values((doc.events as Record<string, unknown> | undefined) ?? {}));
  for (const ref of refs) if (ref && typeof ref === 'object') urls.push((ref as { url?: unknown }).url);
  for (const v of doc.variables ?? []) if (v.type === 'File') urls.push(v.value);
  const ids = new Set<string>();
  for (const url of urls) {
    const ref = typeof url === 'string' && looksLikeBlobUrl(url) ? parseBlobUrl(url) : undefined;
    if (ref) ids.add(ref.id);
  }
  return [...ids];
}
