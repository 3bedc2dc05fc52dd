/** Types and limits of the CAM box folder format (cam-api.md §6.1) and of the import interface. */

import type { AutomaticUpdates, BoxType, EventName, VariableType } from '../../shared/box-format.js';

export {
  ALIAS_EVENTS,
  BOX_TYPES,
  CANONICAL_EVENTS,
  EVENT_NAMES,
  RENAMED_EVENTS,
  SCHEMA_BASE,
  VARIABLE_TYPES,
  type AutomaticUpdates,
  type BoxType,
  type EventName,
  type VariableType,
} from '../../shared/box-format.js';

export const LIMITS = {
  /** box.yaml size. */
  boxYamlBytes: 1024 * 1024,
  /** Any event script, File-variable content, readme or icon (cam-api.md §2.6: File variables ≤ 10 MB). */
  fileBytes: 10 * 1024 * 1024,
  /** Entries under events/ and files/ together. */
  entries: 200,
  /** Nesting of Box variables, as the server allows. */
  depth: 16,
  /** Box folders one tree may span. */
  boxes: 200,
} as const;

/** A file of a box folder, held in memory. */
export interface LocalFile {
  /** Path relative to the box folder, `/`-separated (`events/install`, `files/nginx.conf`, `readme.MD`). */
  path: string;
  /** Base name, used as the blob's file name. */
  name: string;
  content: Buffer;
  /** Hex MD5 of `content`. */
  md5: string;
  contentType: string;
}

/** A variable as box.yaml holds it (cam-api.md §3.3); `value` is always a string. */
export interface BoxVariable {
  name: string;
  type: VariableType;
  value: string;
  required?: boolean;
  visibility?: 'public' | 'private' | 'internal';
  scope?: string;
  options?: string;
  automatic_updates?: AutomaticUpdates;
  tags?: string[];
}

/** box.yaml after normalisation: `schema` filled in, scalars of variables as strings. */
export interface BoxFolderDoc {
  id?: string;
  name: string;
  schema: string;
  description?: string;
  requirements?: string[];
  icon?: string;
  automatic_updates: AutomaticUpdates;
  friendly_id?: string;
  variables: BoxVariable[];
  /** Keys kept as written: the type-specific claims, profile, provider_id, lifespan, services, type; checks. */
  extra: Record<string, unknown>;
  /** Paths (relative to the folder) of the docker `dockerfile` and cloudformation `template` files. */
  dockerfile?: string;
  template?: string;
}

/** A box folder read into memory, with the box folders it depends on. */
export interface LocalBox {
  /** Real path of the folder. */
  dir: string;
  /** Folder name (normally the box name). */
  folder: string;
  type: BoxType;
  doc: BoxFolderDoc;
  events: Partial<Record<EventName, LocalFile>>;
  /** File-variable contents keyed by their box.yaml value (`files/<name>`). */
  files: Record<string, LocalFile>;
  readme?: LocalFile;
  /** The icon file when `icon` names a file in the folder; otherwise `doc.icon` is kept as a literal. */
  icon?: LocalFile;
  dockerfile?: LocalFile;
  template?: LocalFile;
  /** Boxes named by Box variables (nested boxes), in declaration order. */
  children: { variable: BoxVariable; box: LocalBox }[];
  /** Sibling box folders named by Binding variables (optional: a Binding may name a remote box). */
  bindings: { variable: BoxVariable; box: LocalBox }[];
  /** Sibling box folders named by an application box's `services[i].box.id`. */
  services: { index: number; box: LocalBox }[];
}

export type Severity = 'error' | 'warning';

/** One finding of the validator. `file` is relative to the boxes path (`Hello Web/events/start`). */
export interface Problem {
  file: string;
  message: string;
  severity: Severity;
}

/** A folder that cannot be read or written; `problems` lists every error found. */
export class BoxFolderError extends Error {
  override readonly name = 'BoxFolderError';
  constructor(
    message: string,
    readonly problems: Problem[] = [],
  ) {
    super(message);
  }
}

/** A blob reference as the server returns it from `POST /services/blobs/upload` (cam-api.md §2.6). */
export interface BlobRef {
  url: string;
  upload_date?: string;
  length?: number;
  content_type?: string;
  /** Hex MD5 when known (the importer stores it in event references; a server may return it). */
  md5?: string;
  destination_path?: string;
}

/** A box document as the API serves it (cam-api.md §3.2); only the fields ebcli reads are typed. */
export interface RemoteBox {
  id: string;
  name: string;
  schema: string;
  owner?: string;
  description?: string;
  requirements?: string[];
  icon?: string;
  automatic_updates?: string;
  friendly_id?: string;
  variables?: Array<Partial<BoxVariable> & { name: string; type: string; value?: string }>;
  events?: Record<string, BlobRef | undefined>;
  readme?: BlobRef;
  dockerfile?: BlobRef;
  template?: BlobRef;
  version?: { box: string; description?: string; number: VersionNumber; workspace?: string };
  [key: string]: unknown;
}

export interface VersionNumber {
  major: number;
  minor: number;
  patch: number;
}

/**
 * What `importBoxTree` needs from a server. The typed client in `src/client` satisfies it with
 * thin wrappers; each method is one REST call.
 */
export interface BoxImportApi {
  /** `POST /services/blobs/upload` (multipart, one file part named after the file). */
  uploadBlob(name: string, bytes: Buffer, contentType: string): Promise<BlobRef>;
  /** `GET /services/boxes/{id}` (draft or version); `undefined` on 404 or 403. */
  getBox(id: string): Promise<RemoteBox | undefined>;
  /** The draft named `name` owned by `workspace` (`GET /services/workspaces/{ws}/boxes`), if any. */
  findBoxByName(workspace: string, name: string): Promise<RemoteBox | undefined>;
  /** `POST /services/boxes`; the body carries `owner`. */
  createBox(doc: Record<string, unknown>): Promise<RemoteBox>;
  /** `PUT /services/boxes/{id}` of the draft. */
  updateBox(id: string, doc: Record<string, unknown>): Promise<RemoteBox>;
  /** `PUT /services/boxes/{id}` with a `version` field: creates a version of the draft `id`. */
  createVersion(id: string, doc: Record<string, unknown>): Promise<RemoteBox>;
  /** `GET /services/boxes/{id}/versions`. */
  listVersions(id: string): Promise<RemoteBox[]>;
  /** Optional: the MD5 of a stored blob, so unchanged File variables need no upload. */
  getBlobMd5?(url: string): Promise<string | undefined>;
}

/** Reads boxes and blobs for `exportBoxTree`. */
export interface BoxExportApi {
  /** `GET /services/boxes/{id}`; throws when the box does not exist. */
  getBox(id: string): Promise<RemoteBox>;
  /** Downloads a blob by the URL a box document holds (`/services/blobs/download/<id>/<name>`). */
  fetchBlob(url: string): Promise<Buffer>;
}
