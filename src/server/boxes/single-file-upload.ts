import type { FastifyRequest } from 'fastify';
import { MAX_BLOB_BYTES } from './blob-urls.js';
import { HttpError, badRequest } from '../http/errors.js';

export interface UploadedFile {
  name: string;
  contentType: string;
  data: Buffer;
}

const tooLarge = () => new HttpError(413, `File is larger than the ${MAX_BLOB_BYTES} byte (10 MB) limit`);

function uploadError(err: unknown): Error {
  if (err instanceof HttpError) return err;
  const code = (err as { code?: string }).code;
  if (code === 'FST_REQ_FILE_TOO_LARGE') return tooLarge();
  if (code === 'FST_FILES_LIMIT') return badRequest('Upload exactly one file: the request has more than one file part');
  if (code === 'FST_PARTS_LIMIT' || code === 'FST_FIELDS_LIMIT')
    return badRequest('Upload exactly one file: the request has too many parts');
  if (code === 'FST_PROTO_VIOLATION') return badRequest('Multipart form has a forbidden field name');
  return badRequest(`Malformed multipart body: ${(err as Error).message ?? String(err)}`);
}

/**
 * Reads the one file part of a multipart upload, whatever its field name (JP says `blob`, ebcli
 * names it after the file). Other form fields are ignored; no file or more than one is a 400.
 */
export async function readSingleFile(req: FastifyRequest): Promise<UploadedFile> {
  if (!req.isMultipart()) throw badRequest('Send the file as multipart/form-data with one file part');
  let found: UploadedFile | undefined;
  try {
    const parts = req.parts({
      limits: { fileSize: MAX_BLOB_BYTES, files: 1, fields: 20, fieldSize: 64 * 1024, parts: 25 },
    });
    for await (const part of parts) {
      if (part.type !== 'file') continue;
      const data = await part.toBuffer();
      if (part.file.truncated) throw tooLarge();
      found = { name: part.filename, contentType: part.mimetype || 'application/octet-stream', data };
    }
  } catch (err) {
    throw uploadError(err);
  }
  if (!found) throw badRequest('The upload has no file part');
  return found;
}
