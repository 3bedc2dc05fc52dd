import type { BlobRef, BoxVariable, LocalBox, LocalFile } from './types.js';

/** Where the files of a box were stored, and which remote id each referenced box folder has. */
export interface DocumentRefs {
  /** The blob holding a local file; undefined leaves the field out of the document. */
  blob(file: LocalFile): BlobRef | undefined;
  /** The remote id of a box folder of the tree, when known. */
  idOf(box: LocalBox): string | undefined;
}

/** A file reference as the API takes it: only the fields its schema allows (no md5). */
const fileRef = (file: LocalFile, ref: BlobRef | undefined, extra: Partial<BlobRef> = {}): BlobRef | undefined =>
  ref && {
    url: ref.url,
    upload_date: ref.upload_date,
    length: ref.length ?? file.content.length,
    content_type: ref.content_type ?? file.contentType,
    ...(ref.destination_path ? { destination_path: ref.destination_path } : {}),
    ...extra,
  };

/**
 * The box document (cam-api.md §3.2) for a box folder: File variables, events, readme and icon
 * point at their blobs; Box and Binding values naming folders of the tree become remote ids.
 * `id` and `owner` are left to the caller.
 */
export function toBoxDocument(box: LocalBox, refs: DocumentRefs): Record<string, unknown> {
  const { doc } = box;
  const targets = new Map<BoxVariable, LocalBox>();
  for (const { variable, box: target } of [...box.children, ...box.bindings]) targets.set(variable, target);

  const variables = doc.variables.map((v) => {
    const out: BoxVariable = { ...v };
    const target = targets.get(v);
    if (target) out.value = refs.idOf(target) ?? v.value;
    const file = v.type === 'File' ? box.files[v.value] : undefined;
    if (file) out.value = refs.blob(file)?.url ?? v.value;
    return out;
  });

  const events: Record<string, BlobRef> = {};
  for (const [event, file] of Object.entries(box.events)) {
    const ref =
      file && fileRef(file, refs.blob(file), { destination_path: 'scripts', content_type: 'text/x-shellscript' });
    if (ref) events[event] = ref;
  }

  const extra = { ...doc.extra };
  if (box.services.length > 0 && Array.isArray(extra.services)) {
    const services = structuredClone(extra.services) as Array<{ box: { id: string } }>;
    for (const { index, box: target } of box.services) {
      const id = refs.idOf(target);
      if (id && services[index]) services[index].box.id = id;
    }
    extra.services = services;
  }
  const out: Record<string, unknown> = {
    schema: doc.schema,
    name: doc.name,
    description: doc.description ?? '',
    automatic_updates: doc.automatic_updates,
    variables,
    ...extra,
  };
  if (box.type === 'script' || box.type === 'docker') {
    out.requirements = doc.requirements ?? [];
    out.events = events;
  } else if (doc.requirements) out.requirements = doc.requirements;
  if (doc.friendly_id !== undefined) out.friendly_id = doc.friendly_id;
  const icon = box.icon ? refs.blob(box.icon)?.url : doc.icon;
  if (icon !== undefined) out.icon = icon;
  const readme = box.readme && fileRef(box.readme, refs.blob(box.readme), { content_type: 'text/x-markdown' });
  if (readme) out.readme = readme;
  for (const key of ['dockerfile', 'template'] as const) {
    const file = box[key];
    const ref = file && fileRef(file, refs.blob(file));
    if (ref) out[key] = ref;
  }
  return out;
}

/** Every file of a box folder that is stored as a blob. */
export function filesOf(box: LocalBox): LocalFile[] {
  const out: LocalFile[] = [];
  for (const file of Object.values(box.events)) if (file) out.push(file);
  out.push(...Object.values(box.files));
  for (const file of [box.readme, box.icon, box.dockerfile, box.template]) if (file) out.push(file);
  return out;
}
