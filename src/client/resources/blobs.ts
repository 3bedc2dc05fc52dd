import type { BlobRef } from '../types.js';
import { Resource, servicePath } from './base.js';

export class Blobs extends Resource {
  /** Uploads raw bytes; the returned `url` is what File variables and events reference. */
  upload(fileName: string, data: Buffer | string, contentType = 'application/octet-stream'): Promise<BlobRef> {
    return this.send('POST', servicePath('blobs', 'upload', fileName), { raw: data, contentType });
  }

  /**
   * The MD5 of a stored blob's content (the `ETag` of `HEAD` on its download URL), or undefined
   * when the server does not tell it.
   */
  async md5(url: string): Promise<string | undefined> {
    const res = await this.http.request<unknown>('HEAD', blobPath(url));
    const etag = res.headers.etag;
    const m = /^"?([0-9a-f]{32})"?$/i.exec(Array.isArray(etag) ? (etag[0] ?? '') : (etag ?? ''));
    return m?.[1]?.toLowerCase();
  }

  /** Downloads a blob by its `/services/blobs/download/<id>/<name>` URL (absolute or relative). */
  download(url: string): Promise<Buffer> {
    return this.get<Buffer>(blobPath(url), { binary: true });
  }
}

function blobPath(url: string): string {
  const [id = '', name = ''] = new URL(url, 'https://host').pathname.split('/').slice(-2).map(decodeURIComponent);
  return servicePath('blobs', 'download', id, name);
}
