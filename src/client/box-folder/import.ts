import { filesOf, toBoxDocument } from './document.js';
import { boxesInImportOrder, readBoxFolder } from './read.js';
import type { BlobRef, BoxImportApi, LocalBox, LocalFile, RemoteBox, VersionNumber } from './types.js';

export interface ImportOptions {
  /** Workspace that owns boxes created by the import, and where boxes are looked up by name. */
  workspace: string;
  /** Update the drafts only; by default a version is also created for each changed existing box. */
  asDraft?: boolean;
  /** Description of the versions created (`-m`). */
  comment?: string;
}

export interface ImportedBox {
  /** Folder the box came from. */
  folder: string;
  name: string;
  /** Remote draft id. */
  id: string;
  /** The id box.yaml holds, when it differs from the remote id. */
  localId?: string;
  /** Id of the version created, if any. */
  versionId?: string;
  action: 'created' | 'updated' | 'versioned' | 'unchanged';
  /** Files uploaded and files whose stored blob was reused. */
  uploaded: number;
  reused: number;
}

export interface ImportResult {
  /** Remote draft id of the folder that was imported. */
  id: string;
  /** Every box imported, children before their parents; the root box last. */
  boxes: ImportedBox[];
}

const DEFAULT_COMMENT = 'Version created using ebcli';

/**
 * Imports a box folder and the box folders it references (cam-api.md §6.1 `import`): each box is
 * found by its box.yaml `id` (a version leads to its draft), else by name in the workspace, else
 * created with `POST /services/boxes`. Files are uploaded only when their MD5 is not known to match
 * what the remote box references. Box, Binding and application service references to folders of the
 * tree are rewritten to the remote ids. Children are imported before their parents.
 */
export async function importBoxTree(api: BoxImportApi, dir: string, opts: ImportOptions): Promise<ImportResult> {
  const root = await readBoxFolder(dir);
  const order = boxesInImportOrder(root);
  const remote = new Map<LocalBox, RemoteBox>();
  const created = new Map<LocalBox, BlobRef | undefined>();
  const uploads = new Map<string, BlobRef>();
  let uploadCount = 0;
  const upload = async (file: LocalFile): Promise<BlobRef> => {
    const key = `${file.md5}/${file.name}`;
    let ref = uploads.get(key);
    if (!ref) {
      ref = await api.uploadBlob(file.name, file.content, file.contentType);
      uploads.set(key, ref);
      uploadCount++;
    }
    return ref;
  };

  // Every box gets its remote id first, so references (even cyclic Bindings) can be rewritten.
  // The readme is only accepted on creation (PUT does not apply it), so it goes with the POST.
  for (const box of order) {
    const found = await findRemote(api, box, opts.workspace);
    if (found) remote.set(box, found);
    else {
      const readme = box.readme && (await upload(box.readme));
      remote.set(box, await api.createBox(creationDoc(box, opts.workspace, readme)));
      created.set(box, readme);
    }
  }

  const results: ImportedBox[] = [];
  for (const box of order) {
    const current = remote.get(box)!;
    const isNew = created.has(box);
    const before = uploadCount;
    const blobs = new Map<LocalFile, BlobRef>();
    let reused = 0;
    for (const file of filesOf(box)) {
      if (file === box.readme) continue;
      const known = await storedBlob(api, file, current, box);
      if (known) reused++;
      blobs.set(file, known ?? (await upload(file)));
    }
    const readme = created.get(box) ?? current.readme;
    const doc = toBoxDocument(box, {
      blob: (file) => (file === box.readme ? readme : blobs.get(file)),
      idOf: (target) => remote.get(target)?.id,
    });
    const uploaded = uploadCount - before + (isNew && box.readme ? 1 : 0);
    const result: ImportedBox = {
      folder: box.folder,
      name: box.doc.name,
      id: current.id,
      action: isNew ? 'created' : 'updated',
      uploaded,
      reused,
    };
    if (box.doc.id && box.doc.id !== current.id) result.localId = box.doc.id;
    const unchanged = !isNew && uploadCount === before && sameContent(doc, current);
    let versions: RemoteBox[] | undefined;
    if (unchanged) {
      result.action = 'unchanged';
      // A run interrupted between updating the draft and versioning it left the draft ahead of
      // the latest version: version it now, so the latest version is what the folder says.
      versions = opts.asDraft ? [] : await api.listVersions(current.id);
    } else remote.set(box, await api.updateBox(current.id, { ...current, ...doc, id: current.id }));
    const stale = unchanged && versions!.length > 0 && !sameContent(doc, versions![0]!);
    if ((!unchanged || stale) && !isNew && !opts.asDraft) {
      const version = await api.createVersion(current.id, {
        ...remote.get(box)!,
        version: {
          box: current.id,
          description: opts.comment ?? DEFAULT_COMMENT,
          number: nextVersion(versions ?? (await api.listVersions(current.id))),
        },
      });
      result.action = 'versioned';
      result.versionId = version.id;
    }
    results.push(result);
  }
  return { id: remote.get(root)!.id, boxes: results };
}

async function findRemote(api: BoxImportApi, box: LocalBox, workspace: string): Promise<RemoteBox | undefined> {
  if (box.doc.id) {
    const byId = await api.getBox(box.doc.id);
    if (byId?.version?.box) return (await api.getBox(byId.version.box)) ?? undefined;
    if (byId) return byId;
  }
  return api.findBoxByName(workspace, box.doc.name);
}

/**
 * The `POST /services/boxes` body: the box without references to other boxes or blobs (they are
 * not stored yet); events, variables and services follow with a PUT.
 */
function creationDoc(box: LocalBox, owner: string, readme: BlobRef | undefined): Record<string, unknown> {
  const { doc } = box;
  const { services: _services, ...extra } = doc.extra;
  const out: Record<string, unknown> = {
    schema: doc.schema,
    owner,
    name: doc.name,
    description: doc.description ?? '',
    automatic_updates: doc.automatic_updates,
    ...extra,
  };
  if (doc.id) out.id = doc.id;
  if (doc.requirements?.length) out.requirements = doc.requirements;
  if (readme) out.readme = readme;
  return out;
}

/**
 * The blob the remote box already holds for `file`, when its MD5 is known to be the same.
 * Without a known MD5 the file is uploaded again.
 */
async function storedBlob(
  api: BoxImportApi,
  file: LocalFile,
  current: RemoteBox,
  box: LocalBox,
): Promise<BlobRef | undefined> {
  let ref: BlobRef | undefined;
  if (file.path.startsWith('events/')) ref = current.events?.[file.path.slice('events/'.length)];
  else if (file === box.dockerfile) ref = current.dockerfile;
  else if (file === box.template) ref = current.template;
  else if (file === box.icon && typeof current.icon === 'string') ref = { url: current.icon };
  else {
    const v = box.doc.variables.find((x) => x.type === 'File' && x.value === file.path);
    const rv = v && current.variables?.find((x) => x.name === v.name && (x.scope ?? '') === (v.scope ?? ''));
    if (rv?.type === 'File' && rv.value) ref = { url: rv.value };
  }
  if (!ref?.url) return undefined;
  if (ref.length !== undefined && ref.length !== file.content.length) return undefined;
  const md5 = ref.md5 ?? (api.getBlobMd5 ? await api.getBlobMd5(ref.url) : undefined);
  return md5 === file.md5 ? { ...ref, md5 } : undefined;
}

const CONTENT_KEYS = [
  'name',
  'description',
  'requirements',
  'automatic_updates',
  'friendly_id',
  'icon',
  'variables',
  'events',
  'dockerfile',
  'template',
  'claims',
  'profile',
  'provider_id',
  'lifespan',
  'services',
  'type',
  'checks',
];

/** Whether the remote draft already holds what the import would send. */
function sameContent(doc: Record<string, unknown>, current: RemoteBox): boolean {
  for (const key of CONTENT_KEYS) {
    const view = key === 'events' ? urls : key === 'variables' ? variableView : (x: unknown) => x;
    const mine = view(doc[key]);
    const theirs = view(current[key]);
    if (JSON.stringify(normalise(mine)) !== JSON.stringify(normalise(theirs))) return false;
  }
  return true;
}

const urls = (events: unknown): Record<string, unknown> =>
  Object.fromEntries(Object.entries((events ?? {}) as Record<string, BlobRef>).map(([k, v]) => [k, v?.url]));

const VARIABLE_KEYS = ['name', 'type', 'value', 'scope', 'options', 'automatic_updates', 'tags'];

/** Variables as box.yaml holds them; `required: false` and `visibility: public` are the defaults. */
const variableView = (variables: unknown): unknown =>
  Array.isArray(variables)
    ? variables.map((v: Record<string, unknown>) => ({
        ...Object.fromEntries(VARIABLE_KEYS.map((k) => [k, v[k]])),
        required: v.required === true,
        visibility: v.visibility === 'private' || v.visibility === 'internal' ? v.visibility : undefined,
      }))
    : variables;

/** Sorted keys; empty strings, empty lists and `'off'` defaults compare equal to absence. */
function normalise(value: unknown): unknown {
  if (Array.isArray(value)) return value.length === 0 ? undefined : value.map(normalise);
  if (value && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const key of Object.keys(value).sort()) {
      const v = normalise((value as Record<string, unknown>)[key]);
      if (v !== undefined) out[key] = v;
    }
    return Object.keys(out).length === 0 ? undefined : out;
  }
  return value === '' || value === null || value === false || value === 'off' ? undefined : value;
}

/** The next patch number after the highest version, or `0.0.0` for the first (cam-api.md §6.1). */
export function nextVersion(versions: RemoteBox[]): VersionNumber {
  let best: VersionNumber | undefined;
  for (const v of versions) {
    const n = v.version?.number;
    if (!n) continue;
    if (
      !best ||
      n.major > best.major ||
      (n.major === best.major && (n.minor > best.minor || (n.minor === best.minor && n.patch > best.patch)))
    )
      best = n;
  }
  return best ? { major: best.major, minor: best.minor, patch: best.patch + 1 } : { major: 0, minor: 0, patch: 0 };
}
