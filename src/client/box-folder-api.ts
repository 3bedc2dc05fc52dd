import type { EbClient } from './client.js';
import type { BoxExportApi, BoxImportApi, RemoteBox } from './box-folder/types.js';
import { NotFoundError, PermissionDeniedError } from './errors.js';

/** The calls `importBoxTree` makes, over the typed client. */
export function boxImportApi(client: EbClient): BoxImportApi {
  const asRemote = (b: unknown) => b as RemoteBox;
  return {
    uploadBlob: (name, bytes, contentType) => client.blobs.upload(name, bytes, contentType),
    async getBox(id) {
      try {
        return asRemote(await client.boxes.retrieve(id));
      } catch (err) {
        if (err instanceof NotFoundError || err instanceof PermissionDeniedError) return undefined;
        throw err;
      }
    },
    async findBoxByName(workspace, name) {
      const boxes = await client.workspaces.boxes(workspace);
      return asRemote(boxes.find((b) => b.name === name && b.owner === workspace && !b.version));
    },
    createBox: async (doc) => asRemote(await client.boxes.create(doc as never)),
    updateBox: async (id, doc) => asRemote(await client.boxes.update(id, doc)),
    createVersion: async (id, doc) => asRemote(await client.boxes.update(id, doc)),
    async getBlobMd5(url) {
      try {
        return await client.blobs.md5(url);
      } catch (err) {
        if (err instanceof NotFoundError || err instanceof PermissionDeniedError) return undefined;
        throw err;
      }
    },
    listVersions: async (id) => (await client.boxes.versions(id)) as unknown as RemoteBox[],
  };
}

/** The calls `exportBoxTree` makes, over the typed client. */
export function boxExportApi(client: EbClient): BoxExportApi {
  return {
    getBox: async (id) => (await client.boxes.retrieve(id)) as unknown as RemoteBox,
    fetchBlob: (url) => client.blobs.download(url),
  };
}
