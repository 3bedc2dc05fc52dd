import type { BlobRef } from '../types.js';
import { Resource, servicePath } from './base.js';

export class Blobs extends Resource {
  /** Uploads raw bytes; the returned `url` is what File variables and events reference. */
  upload(fileName: string, data: Buffer | string, contentType = 'application/octet-stream'): Promise<BlobRef> {
    return this.send('POST', servicePath('blobs', 'upload', fileName), { raw: data, contentType });
  }

  /** Downloads a blob by its `/services/blobs/download/<id>/<name>` URL (absolute or relative). */
  download(url: string): Promise<Buffer> {
    const [id = '', name = ''] = new URL(url, 'https://host').pathname.split('/').slice(-2).map(decodeURIComponent);
    return this.get<Buffer>(servicePath('blobs', 'download', id, name), { binary: true });
  }
}
