/** The CAM box folder format (cam-api.md §6): read, validate, write, import and application documents. */
export { readBoxFolder, validateBoxFolder, boxesInImportOrder } from './read.js';
export { writeBoxFolder, exportBoxTree, dumpBoxYaml, type WrittenFolder } from './write.js';
export { toBoxDocument, filesOf, type DocumentRefs } from './document.js';
export { importBoxTree, nextVersion, type ImportOptions, type ImportResult, type ImportedBox } from './import.js';
export {
  parseApplicationDocument,
  ApplicationDocumentError,
  type ApplicationEntry,
  type ApplicationVariable,
} from './application.js';
export * from './types.js';
export { initBoxFolder } from './init.js';
export { virtualStack, LOCAL_ID, MD5_URL } from './virtual.js';
