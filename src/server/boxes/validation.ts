import type { AuthUser } from '../context.js';
import type { BoxType } from '../../shared/box-format.js';
import { checkSpecProblem, type BoxCheckSpec } from '../../shared/monitoring/checks.js';
import { checkBlobUrl } from './blob-refs.js';
import { looksLikeBlobUrl } from './blob-urls.js';
import { checkVariables, readableBox } from './variables.js';
import { badRequest } from '../http/errors.js';
import type { FileRefInput, VariableInput } from './schemas.js';
import type { Db } from '../store/db.js';
import { getWorkspace } from '../workspaces/store.js';

/** The box fields that refer to other stored things and so need more than a schema check. */
export interface CheckedFields {
  icon?: string | null;
  events?: Record<string, FileRefInput>;
  files?: FileRefInput[];
  readme?: FileRefInput;
  dockerfile?: FileRefInput;
  template?: FileRefInput;
  variables?: VariableInput[];
  members?: { workspace: string }[];
  requirements?: string[];
  services?: { name: string; box: { id: string } }[];
  checks?: BoxCheckSpec[];
}

/**
 * Checks what a write is about to store, beyond the schema: file references name readable blobs,
 * nested and application boxes are readable, members are workspaces, and type rules hold.
 * Only the fields present are checked, so a PUT that leaves a field alone is not re-judged on it.
 */
export async function checkBoxFields(db: Db, user: AuthUser, kind: BoxType, fields: CheckedFields): Promise<void> {
  const events = Object.entries(fields.events ?? {});
  if ((kind === 'policy' || kind === 'cloudformation') && events.length > 0)
    throw badRequest(`A ${kind} box has no events`);
  if ((kind === 'policy' || kind === 'cloudformation') && fields.checks?.length)
    throw badRequest(`A ${kind} box has no checks: declare them in the boxes its instances run`);
  const checkNames = new Set<string>();
  for (const [i, spec] of (fields.checks ?? []).entries()) {
    const problem = checkSpecProblem(spec, `checks[${i}]`);
    if (problem) throw badRequest(`${problem} (check ${spec.name})`);
    if (checkNames.has(spec.name)) throw badRequest(`checks: ${spec.name} is declared more than once`);
    checkNames.add(spec.name);
  }
  if (kind === 'policy' && fields.requirements?.length)
    throw badRequest('A policy box has no requirements: list what it offers in claims');
  for (const [name, ref] of events) await checkBlobUrl(db, user, ref.url, `events.${name}`);
  for (const [i, ref] of (fields.files ?? []).entries()) await checkBlobUrl(db, user, ref.url, `files[${i}]`);
  for (const field of ['readme', 'dockerfile', 'template'] as const) {
    const ref = fields[field];
    if (ref) await checkBlobUrl(db, user, ref.url, field);
  }
  if (typeof fields.icon === 'string' && looksLikeBlobUrl(fields.icon))
    await checkBlobUrl(db, user, fields.icon, 'icon');
  if (fields.variables) await checkVariables(db, user, fields.variables);
  for (const m of fields.members ?? []) {
    if (!(await getWorkspace(db, m.workspace))) throw badRequest(`members: workspace ${m.workspace} does not exist`);
  }
  const names = new Set<string>();
  for (const s of fields.services ?? []) {
    if (names.has(s.name)) throw badRequest(`services: ${s.name} is listed more than once`);
    names.add(s.name);
    if (!(await readableBox(db, user, s.box.id)))
      throw badRequest(`services.${s.name}: box ${s.box.id} does not exist or you cannot read it`);
  }
}
