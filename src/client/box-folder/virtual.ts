import { toBoxDocument } from './document.js';
import { boxesInImportOrder, readBoxFolder } from './read.js';
import type { LocalBox } from './types.js';

/** Prefix of the ids a virtual stack gives its boxes. */
export const LOCAL_ID = 'local:';
/** Prefix of the URLs a virtual stack gives its files: the MD5 of their content follows. */
export const MD5_URL = 'md5:';

/**
 * The box stack a box folder would have once imported (its box first, then the boxes nested through
 * Box variables), without contacting a server: files are `md5:<hash>` URLs and boxes `local:<folder>`
 * ids, so a plan compares them by content with what an instance runs (`apply --dry-run`).
 */
export async function virtualStack(dir: string): Promise<Record<string, unknown>[]> {
  const root = await readBoxFolder(dir);
  const id = (box: LocalBox) => `${LOCAL_ID}${box.folder}`;
  const docs = new Map<LocalBox, Record<string, unknown>>();
  for (const box of boxesInImportOrder(root)) {
    const doc = toBoxDocument(box, { blob: (file) => ({ url: `${MD5_URL}${file.md5}` }), idOf: id });
    docs.set(box, { ...doc, id: id(box) });
  }
  const stack: Record<string, unknown>[] = [];
  const walk = (box: LocalBox) => {
    const doc = docs.get(box)!;
    if (!stack.includes(doc)) stack.push(doc);
    for (const c of box.children) walk(c.box);
  };
  walk(root);
  return stack;
}
