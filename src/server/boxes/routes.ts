import type { FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { assertCanRead, assertCanWrite, memberWorkspaces, userOf } from '../auth/access.js';
import { blobIdsOf } from './blob-refs.js';
import { KIND_FIELDS, assertFieldsFitKind, editableFields, kindFromSchema, newBoxDoc } from './docs.js';
import { boxTree } from './stack.js';
import { assertBoxUnused } from './usage.js';
import { checkBoxFields, type CheckedFields } from './validation.js';
import type { AuthUser, ServerContext } from '../context.js';
import { withoutNulls } from '../store/docs.js';
import { badRequest, alreadyExists, notFound } from '../http/errors.js';
import { BoxParams, COMMON_EDITABLE, CreateBox, UpdateBox, type UpdateBoxInput } from './schemas.js';
import { IdsQuery, errors, parseIds, served } from '../http/schemas.js';
import {
  deleteBoxTree,
  findBoxByName,
  getBox,
  insertBox,
  listBoxes,
  listVersions,
  updateBox,
  type BoxDoc,
} from './store.js';
import type { Db } from '../store/db.js';
import type { BoxType } from '../../shared/box-format.js';
import { newUuid } from '../../shared/ids.js';
import { timestamp } from '../../shared/time.js';
import { boxRelationRoutes } from './relation-routes.js';
import { BoxDocSchema } from '../../shared/documents/boxes.js';

const tags = ['boxes'];
const user = { auth: 'user' as const };

async function existingBox(db: Db, id: string): Promise<BoxDoc> {
  const box = await getBox(db, id);
  if (!box) throw notFound('Box', id);
  return box;
}

/** Stores a checked document and proves its Box-variable tree resolves (no cycle, not too deep). */
async function save(db: Db, given: BoxDoc, isNew: boolean): Promise<BoxDoc> {
  // A PUT that sends `icon: null` (or any field null) clears it: the key is left out.
  const doc = withoutNulls(given);
  await (isNew ? insertBox : updateBox)(db, doc, blobIdsOf(doc));
  await boxTree(db, doc.id);
  return doc;
}

async function assertNameFree(db: Db, owner: string, name: string, self?: string): Promise<void> {
  const clash = await findBoxByName(db, owner, name);
  if (clash && clash.id !== self)
    throw alreadyExists(`A box named '${name}' already exists in workspace ${owner} (${clash.id})`);
}

type VersionNumber = { major: number; minor: number; patch: number };
const versionLabel = (n: VersionNumber) => `${n.major}.${n.minor}.${n.patch}`;

/** JSON with object keys sorted, so that two documents compare by content. */
const canonical = (value: unknown): string =>
  JSON.stringify(value, (_k, v: unknown) =>
    v && typeof v === 'object' && !Array.isArray(v)
      ? Object.fromEntries(Object.entries(v).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
      : v,
  );

/** Whether two box documents of one type differ in what PUT can change. */
function contentDiffers(a: BoxDoc, b: BoxDoc, kind: BoxType): boolean {
  const pick = (d: BoxDoc) => [...COMMON_EDITABLE, ...KIND_FIELDS[kind]].map((f) => d[f] ?? null);
  return canonical(pick(a)) !== canonical(pick(b));
}

/**
 * PUT with a `version` field: a new, immutable version of the draft with the body's editable fields.
 * A body that carries the current (latest) version number, as `ebcli import` and clients that PUT
 * back what they read do, updates the box: it answers the current version when the content is the
 * same, and otherwise creates the next patch version.
 */
async function createVersion(db: Db, me: AuthUser, draft: BoxDoc, body: UpdateBoxInput): Promise<BoxDoc> {
  const spec = body.version as NonNullable<UpdateBoxInput['version']>;
  if (spec.box !== draft.id) throw badRequest(`version.box must be the id of the box in the URL (${draft.id})`);
  const kind = kindFromSchema(draft.schema);
  const fields = editableFields(body, kind);
  await checkBoxFields(db, me, kind, fields as CheckedFields);
  const versions = await listVersions(db, draft.id);
  const latest = versions[0];
  const id = newUuid();
  const now = timestamp();
  const doc: BoxDoc = {
    ...draft,
    ...fields,
    id,
    uri: `/services/boxes/${id}`,
    version: { box: draft.id, description: spec.description ?? '', number: spec.number, workspace: draft.owner },
    created: now,
    updated: now,
  };
  if (latest?.version && versionLabel(latest.version.number) === versionLabel(spec.number)) {
    if (!contentDiffers(doc, latest, kind)) return latest;
    const n = latest.version.number;
    doc.version = { ...doc.version!, number: { ...n, patch: n.patch + 1 } };
  } else if (versions.some((v) => v.version && versionLabel(v.version.number) === versionLabel(spec.number))) {
    throw alreadyExists(`Version ${versionLabel(spec.number)} of box ${draft.name} already exists`);
  }
  return save(db, doc, true);
}

async function updateDraft(db: Db, me: AuthUser, draft: BoxDoc, body: UpdateBoxInput): Promise<BoxDoc> {
  const kind = kindFromSchema(draft.schema);
  const fields = editableFields(body, kind);
  await checkBoxFields(db, me, kind, fields as CheckedFields);
  if (fields.name !== undefined) await assertNameFree(db, draft.owner, fields.name, draft.id);
  return save(db, { ...draft, ...fields, updated: timestamp() }, false);
}

export async function boxRoutes(app: FastifyInstance, ctx: ServerContext): Promise<void> {
  const api = app.withTypeProvider<TypeBoxTypeProvider>();
  const { db } = ctx;
  // SQLite has one connection: inside a transaction every query must go through `trx`.
  const inTransaction = <T>(fn: (trx: Db) => Promise<T>) => db.transaction().execute((trx) => fn(trx));

  api.get(
    '/services/boxes',
    { config: user, schema: { tags, querystring: IdsQuery, response: { 200: Type.Array(served(BoxDocSchema)) } } },
    async (req) => {
      const all = await listBoxes(db, await memberWorkspaces(db, userOf(req).id), parseIds(req.query.ids));
      return req.query.limit ? all.slice(0, Number(req.query.limit)) : all;
    },
  );

  api.post(
    '/services/boxes',
    {
      config: user,
      schema: { tags, body: CreateBox, response: { 200: served(BoxDocSchema), ...errors(400, 403, 409) } },
    },
    async (req) => {
      const me = userOf(req);
      const body = req.body;
      const kind = kindFromSchema(body.schema);
      assertFieldsFitKind(body, kind);
      const owner = body.owner ?? me.id;
      return inTransaction(async (trx) => {
        await assertCanWrite(trx, me, owner);
        const doc = newBoxDoc(body, kind, owner, timestamp());
        await checkBoxFields(trx, me, kind, doc as CheckedFields);
        await assertNameFree(trx, owner, doc.name);
        return save(trx, doc, true);
      });
    },
  );

  api.get(
    '/services/boxes/:id',
    { config: user, schema: { tags, params: BoxParams, response: { 200: served(BoxDocSchema), ...errors(403, 404) } } },
    async (req) => {
      const box = await existingBox(db, req.params.id);
      await assertCanRead(db, userOf(req), box.owner);
      return box;
    },
  );

  api.put(
    '/services/boxes/:id',
    {
      config: user,
      schema: {
        tags,
        params: BoxParams,
        body: UpdateBox,
        response: { 200: served(BoxDocSchema), ...errors(400, 403, 404, 409) },
      },
    },
    async (req) => {
      const me = userOf(req);
      return inTransaction(async (trx) => {
        const box = await existingBox(trx, req.params.id);
        await assertCanWrite(trx, me, box.owner);
        if (box.version) {
          // A version read back and PUT with its version field updates its box like a PUT to the draft.
          if (req.body.version?.box !== box.version.box) {
            throw badRequest(`Box ${box.id} is a version of box ${box.version.box}; versions cannot be changed`);
          }
          return createVersion(trx, me, await existingBox(trx, box.version.box), req.body);
        }
        return req.body.version ? createVersion(trx, me, box, req.body) : updateDraft(trx, me, box, req.body);
      });
    },
  );

  api.delete(
    '/services/boxes/:id',
    { config: user, schema: { tags, params: BoxParams, response: errors(403, 404, 409) } },
    async (req, reply) => {
      const me = userOf(req);
      await inTransaction(async (trx) => {
        const box = await existingBox(trx, req.params.id);
        await assertCanWrite(trx, me, box.owner);
        await assertBoxUnused(trx, box);
        await deleteBoxTree(trx, box.id);
      });
      return reply.code(204).send();
    },
  );

  await boxRelationRoutes(app, ctx);
}
