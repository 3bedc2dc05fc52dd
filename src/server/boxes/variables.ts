import type { AuthUser } from '../context.js';
import { canReadBox } from '../auth/resource-access.js';
import { checkBlobUrl } from './blob-refs.js';
import { looksLikeBlobUrl } from './blob-urls.js';
import { badRequest } from '../http/errors.js';
import { MAX_VALUE_BYTES, type VariableInput } from './schemas.js';
import { getBox, type BoxDoc } from './store.js';
import type { Db } from '../store/db.js';
import { UUID } from '../../shared/ids.js';

const show = (v: string) => JSON.stringify(v.length > 60 ? `${v.slice(0, 57)}...` : v);
const label = (v: VariableInput) => `Variable ${v.name}${v.scope ? ` (scope ${v.scope})` : ''}`;

/** A box the user may read, or undefined when it does not exist or they may not read it. */
export async function readableBox(db: Db, user: AuthUser, id: string): Promise<BoxDoc | undefined> {
  const box = await getBox(db, id);
  return box && (await canReadBox(db, user, box)) ? box : undefined;
}

/**
 * Checks variables as cam-api §3.3 defines them: unique (name, scope), values that fit their type,
 * Box values naming boxes the user can read and File values naming blobs they can read. Cycles
 * through Box variables are caught after the write, on the whole tree.
 */
export async function checkVariables(db: Db, user: AuthUser, variables: VariableInput[]): Promise<void> {
  const seen = new Set<string>();
  for (const v of variables) {
    const key = `${v.scope ?? ''}\u0000${v.name}`;
    if (seen.has(key)) throw badRequest(`${label(v)} is defined more than once`);
    seen.add(key);
    const value = v.value ?? '';
    if (Buffer.byteLength(value) > MAX_VALUE_BYTES) throw badRequest(`${label(v)}: value is larger than 64 KiB`);
    await checkValue(db, user, v, value);
  }
}

async function checkValue(db: Db, user: AuthUser, v: VariableInput, value: string): Promise<void> {
  switch (v.type) {
    case 'Number':
      if (value !== '' && !/^[-+]?\d{1,18}$/.test(value))
        throw badRequest(`${label(v)}: a Number value must be an integer, not ${show(value)}`);
      return;
    case 'Port':
      if (value !== '' && !(/^\d{1,5}$/.test(value) && Number(value) <= 65535))
        throw badRequest(`${label(v)}: a Port value must be a number from 0 to 65535, not ${show(value)}`);
      return;
    case 'Options': {
      const choices = (v.options ?? '').split(',').map((s) => s.trim());
      if (!choices.includes(value.trim()))
        throw badRequest(`${label(v)}: ${show(value)} is not one of its options (${show(v.options ?? '')})`);
      return;
    }
    case 'Box':
      if (!value) throw badRequest(`${label(v)}: a Box variable needs the id of a box`);
      if (!(await readableBox(db, user, value)))
        throw badRequest(`${label(v)}: box ${show(value)} does not exist or you cannot read it`);
      return;
    case 'Binding':
      if (value !== '' && value !== 'AnyBox' && !UUID.test(value))
        throw badRequest(`${label(v)}: a Binding value must be a box id or AnyBox, not ${show(value)}`);
      return;
    case 'File':
      if (looksLikeBlobUrl(value)) await checkBlobUrl(db, user, value, label(v));
      return;
    default:
      return;
  }
}
