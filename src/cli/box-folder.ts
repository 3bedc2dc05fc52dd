import { BoxFolderError, type ImportedBox, type Problem } from '../client/box-folder/index.js';
import { OperationFailedError } from './errors.js';
import type { Column } from './render/table.js';

export const problemColumns: Column<Problem>[] = [
  { header: 'FILE', get: (p) => p.file },
  { header: 'SEVERITY', get: (p) => p.severity, color: (s, t) => (t === 'error' ? s.red(t) : s.yellow(t)) },
  { header: 'MESSAGE', get: (p) => p.message },
];

export const importedColumns: Column<ImportedBox>[] = [
  { header: 'ID', get: (b) => b.id },
  { header: 'NAME', get: (b) => b.name },
  { header: 'ACTION', get: (b) => b.action },
  { header: 'VERSION', get: (b) => b.versionId },
  { header: 'UPLOADED', get: (b) => b.uploaded },
];

/** An invalid box folder fails the command (exit 1) with its problems as `--json` details. */
export function folderFailure(err: unknown): never {
  if (err instanceof BoxFolderError) throw new OperationFailedError(err.message, err.problems);
  throw err;
}
