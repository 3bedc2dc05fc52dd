import { createHash } from 'node:crypto';
import type { FastifyError, FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import multipart from '@fastify/multipart';
import { Type } from '@sinclair/typebox';
import { userOf } from '../auth/access.js';
import { MAX_BLOB_BYTES, blobUrl, fileNameProblem } from './blob-urls.js';
import type { ServerContext } from '../context.js';
import { HttpError, badRequest, notFound } from '../http/errors.js';
import { errors } from '../http/schemas.js';
import { readSingleFile } from './single-file-upload.js';
import { canReadBlob, getBlobData, getBlobMeta, insertBlob } from './blob-store.js';
import type { Db } from '../store/db.js';
import { newBlobId } from '../../shared/ids.js';
import { timestamp } from '../../shared/time.js';

const UploadReply = Type.Object(
  { url: Type.String(), upload_date: Type.String(), length: Type.Integer(), content_type: Type.String() },
  { additionalProperties: false },
);
const FileNameParams = Type.Object({ file_name: Type.String({ maxLength: 1024 }) });
const DownloadParams = Type.Object({
  blob_id: Type.String({ pattern: '^[0-9a-f]{24}$', maxLength: 24 }),
  file_name: Type.String({ minLength: 1, maxLength: 1024 }),
});
const uploadSchema = { tags: ['blobs'], response: { 200: UploadReply, ...errors(400, 401, 413) } };
const user = { auth: 'user' as const };

const DEFAULT_TYPE = 'application/octet-stream';

async function storeBlob(db: Db, uploader: string, name: string, contentType: string, data: Buffer) {
  const problem = fileNameProblem(name);
  if (problem) throw badRequest(problem);
  const type = contentType.trim() || DEFAULT_TYPE;
  if (type.length > 255) throw badRequest('Content type is longer than 255 characters');
  const blob = {
    id: newBlobId(),
    name,
    uploader,
    content_type: type,
    length: data.length,
    md5: createHash('md5').update(data).digest('hex'),
    data,
    created: timestamp(),
  };
  await insertBlob(db, blob);
  return { url: blobUrl(blob.id, name), upload_date: blob.created, length: blob.length, content_type: type };
}

/** Turns the raw-body parser's size error into a message that names the blob limit. */
function blobSizeError(err: FastifyError): never {
  if (err.code === 'FST_ERR_CTP_BODY_TOO_LARGE')
    throw new HttpError(413, `File is larger than the ${MAX_BLOB_BYTES} byte (10 MB) limit`);
  throw err;
}

export async function blobRoutes(app: FastifyInstance, ctx: ServerContext): Promise<void> {
  const { db } = ctx;

  // Multipart parsing lives in its own context so no other route accepts form uploads.
  await app.register(async (scope) => {
    await scope.register(multipart, { limits: { fileSize: MAX_BLOB_BYTES, files: 1 } });
    scope
      .withTypeProvider<TypeBoxTypeProvider>()
      .post('/services/blobs/upload', { config: user, schema: uploadSchema }, async (req) => {
        const me = userOf(req);
        const file = await readSingleFile(req);
        return storeBlob(db, me.id, file.name, file.contentType, file.data);
      });
  });

  // Any content type is taken as the file's bytes; the JSON parser and its 1 MiB limit do not apply.
  await app.register(async (scope) => {
    scope.removeAllContentTypeParsers();
    scope.addContentTypeParser('*', { parseAs: 'buffer', bodyLimit: MAX_BLOB_BYTES }, (_req, body, done) =>
      done(null, body),
    );
    scope.setErrorHandler(blobSizeError);
    scope
      .withTypeProvider<TypeBoxTypeProvider>()
      .post(
        '/services/blobs/upload/:file_name',
        { config: user, bodyLimit: MAX_BLOB_BYTES, schema: { ...uploadSchema, params: FileNameParams } },
        async (req) => {
          const me = userOf(req);
          const data = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
          return storeBlob(db, me.id, req.params.file_name, req.headers['content-type'] ?? DEFAULT_TYPE, data);
        },
      );
  });

  app
    .withTypeProvider<TypeBoxTypeProvider>()
    .get(
      '/services/blobs/download/:blob_id/:file_name',
      { config: user, schema: { tags: ['blobs'], params: DownloadParams, response: errors(400, 401, 404) } },
      async (req, reply) => {
        const me = userOf(req);
        const { blob_id: id, file_name: name } = req.params;
        const meta = await getBlobMeta(db, id);
        // Unknown, misnamed and unreadable blobs all answer alike, so existence is not revealed.
        if (!meta || meta.name !== name || !(await canReadBlob(db, me.id, meta)))
          throw notFound('Blob', `${id}/${name}`);
        const data = await getBlobData(db, id);
        if (!data) throw notFound('Blob', `${id}/${name}`);
        return (
          reply
            .header('content-type', meta.content_type)
            .header('content-length', data.length)
            // The MD5 of the content: clients (box import) skip uploading a file the server already holds.
            .header('etag', `"${meta.md5}"`)
            .header('x-content-type-options', 'nosniff')
            .header('content-security-policy', 'sandbox')
            .send(data)
        );
      },
    );
}
