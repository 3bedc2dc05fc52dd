import type { FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { assertCanWrite, userOf, type Role } from '../auth/access.js';
import { localProviderDoc } from '../bootstrap.js';
import type { AuthUser, ServerContext } from '../context.js';
import { schemaUrl } from '../store/docs.js';
import { badRequest, alreadyExists, forbidden, notFound } from '../http/errors.js';
import { providerRole, type ProviderMember } from './access.js';
import { PROVIDER_KINDS, providerKind } from './kinds.js';
import { PROVIDER_TYPES, pickTypeFields, providerType, splitTypeFields } from './provider-types.js';
import { IdsQuery, errors, parseIds, served } from '../http/schemas.js';
import { CreateProvider, ProviderLog, ProviderParams, UpdateProvider } from './schemas.js';
import type { Db } from '../store/db.js';
import { instancesUsing } from '../instances/store.js';
import {
  deleteProvider,
  findProviderByName,
  getProvider,
  getProviderSecrets,
  insertProvider,
  insertProviderLog,
  listAllProviders,
  listProviderLogs,
  updateProvider,
  type ProviderDoc,
  type ProviderLogRow,
} from './store.js';
import { getWorkspace } from '../workspaces/store.js';
import { newUuid } from '../../shared/ids.js';
import { timestamp } from '../../shared/time.js';
import { ProviderDocSchema } from '../../shared/documents/providers.js';

/** Python logging levels, as CAM's provider logs carry them. */
const INFO = 20;
const ERROR = 40;

async function readableProvider(db: Db, user: AuthUser, id: string): Promise<{ doc: ProviderDoc; role: Role }> {
  const doc = await getProvider(db, id);
  if (!doc) throw notFound('Provider', id);
  const role = await providerRole(db, user, doc);
  if (!role) throw forbidden(`You have no access to provider ${id}`);
  return { doc, role };
}

async function writableProvider(db: Db, user: AuthUser, id: string): Promise<ProviderDoc> {
  const { doc, role } = await readableProvider(db, user, id);
  if (role === 'read') throw forbidden(`You have read-only access to provider ${id}`);
  return doc;
}

async function checkMembers(db: Db, members: ProviderMember[] | undefined): Promise<void> {
  for (const m of members ?? []) {
    const ws = await getWorkspace(db, m.workspace);
    // A removed user's workspace stays as a marker (store/user-admin.ts) and takes no shares.
    if (!ws || ws.doc.deleted) throw badRequest(`members: workspace ${m.workspace} does not exist`);
  }
}

const unsupportedText = (type: string) =>
  `Provider type '${type}' is not supported by this server: it cannot reach ${type}. ` +
  `Only ${PROVIDER_KINDS.map((k) => `'${k.type}'`).join(', ')} providers can deploy here.`;

function logEntry(doc: ProviderDoc, level: number, text: string, operation: string): ProviderLogRow {
  return { id: newUuid(), provider_id: doc.id, level, text, operation, workspace: doc.owner, created: doc.updated };
}

/** Served shape of a log entry; one entry per request, so its id doubles as the request id. */
const serveLog = (row: ProviderLogRow) => ({
  ...row,
  request_id: row.id,
  updated: row.created,
  schema: schemaUrl('provider-log'),
});

export async function providerRoutes(app: FastifyInstance, ctx: ServerContext): Promise<void> {
  const api = app.withTypeProvider<TypeBoxTypeProvider>();
  const { db } = ctx;
  const tags = ['providers'];
  const user = { auth: 'user' as const };

  api.get(
    '/services/providers',
    { config: user, schema: { tags, querystring: IdsQuery, response: { 200: Type.Array(served(ProviderDocSchema)) } } },
    async (req) => {
      const me = userOf(req);
      const ids = parseIds(req.query.ids);
      const out: ProviderDoc[] = [];
      for (const doc of await listAllProviders(db)) {
        if (ids && !ids.includes(doc.id)) continue;
        if (await providerRole(db, me, doc)) out.push(doc);
      }
      return out;
    },
  );

  api.post(
    '/services/providers',
    {
      config: user,
      schema: { tags, body: CreateProvider, response: { 202: served(ProviderDocSchema), ...errors(400, 403, 409) } },
    },
    async (req, reply) => {
      const me = userOf(req);
      const body = req.body;
      const spec = providerType(body.type, body.schema);
      const owner = body.owner ?? me.id;
      await assertCanWrite(db, me, owner);
      const kind = providerKind(body.type);
      if (kind?.onServerHost && !me.isAdmin) {
        throw forbidden(
          `Only administrators can create '${kind.type}' providers: their machines run on this server's host`,
        );
      }
      const { fields, secrets } = splitTypeFields(body.type, spec, body as Record<string, unknown>);
      await checkMembers(db, body.members);
      const now = timestamp();
      const id = newUuid();
      const local = kind !== undefined;
      const base = localProviderDoc(owner, id, now);
      const doc: ProviderDoc = {
        ...base,
        schema: schemaUrl(spec.schema),
        type: body.type,
        name: body.name,
        ...(body.description ? { description: body.description } : {}),
        ...(body.icon ? { icon: body.icon } : {}),
        ...fields,
        state: local ? 'ready' : 'unavailable',
        services: local ? base.services : [],
        members: body.members ?? [],
      };
      await db.transaction().execute(async (trx) => {
        if (await findProviderByName(trx, owner, body.name)) {
          throw alreadyExists(`A provider named '${body.name}' already exists in workspace ${owner}`);
        }
        await insertProvider(trx, doc, secrets);
        const text = kind ? kind.ready : unsupportedText(body.type);
        await insertProviderLog(trx, logEntry(doc, local ? INFO : ERROR, text, 'sync'));
      });
      return reply.code(202).send(doc);
    },
  );

  api.get(
    '/services/providers/:prov',
    {
      config: user,
      schema: { tags, params: ProviderParams, response: { 200: served(ProviderDocSchema), ...errors(403, 404) } },
    },
    async (req) => (await readableProvider(db, userOf(req), req.params.prov)).doc,
  );

  api.put(
    '/services/providers/:prov',
    {
      config: user,
      schema: {
        tags,
        params: ProviderParams,
        body: UpdateProvider,
        response: { 200: served(ProviderDocSchema), ...errors(400, 403, 404, 409) },
      },
    },
    async (req) => {
      const me = userOf(req);
      const current = await writableProvider(db, me, req.params.prov);
      const body = req.body;
      const spec = PROVIDER_TYPES[current.type];
      const { fields, secrets } = spec ? pickTypeFields(spec, body) : { fields: {}, secrets: {} };
      if (body.members !== undefined) await checkMembers(db, body.members);
      const doc: ProviderDoc = { ...current, ...fields, updated: timestamp() };
      if (body.name !== undefined) doc.name = body.name;
      if (body.description === null) delete doc.description;
      else if (body.description !== undefined) doc.description = body.description;
      if (body.members !== undefined) doc.members = body.members;
      return db.transaction().execute(async (trx) => {
        const clash = await findProviderByName(trx, doc.owner, doc.name);
        if (clash && clash.id !== doc.id) {
          throw alreadyExists(`A provider named '${doc.name}' already exists in workspace ${doc.owner}`);
        }
        const changedSecrets = Object.keys(secrets).length
          ? { ...(await getProviderSecrets(trx, doc.id)), ...secrets }
          : undefined;
        await updateProvider(trx, doc, changedSecrets);
        return doc;
      });
    },
  );

  api.delete(
    '/services/providers/:prov',
    { config: user, schema: { tags, params: ProviderParams, response: { ...errors(400, 403, 404) } } },
    async (req, reply) => {
      const doc = await writableProvider(db, userOf(req), req.params.prov);
      await db.transaction().execute(async (trx) => {
        const using = await instancesUsing(trx, 'provider_id', doc.id);
        if (using.length) throw badRequest(`Active service using the provider: ${using.join(', ')}`);
        await deleteProvider(trx, doc.id);
      });
      return reply.code(202).send();
    },
  );

  api.put(
    '/services/providers/:prov/sync',
    {
      config: user,
      schema: { tags, params: ProviderParams, response: { 202: served(ProviderDocSchema), ...errors(403, 404) } },
    },
    async (req, reply) => {
      const current = await writableProvider(db, userOf(req), req.params.prov);
      const local = providerKind(current.type) !== undefined;
      const doc: ProviderDoc = { ...current, state: local ? 'ready' : 'unavailable', updated: timestamp() };
      const text = local
        ? `Synchronized: the ${current.type} provider has nothing to refresh.`
        : unsupportedText(doc.type);
      await db.transaction().execute(async (trx) => {
        await updateProvider(trx, doc);
        await insertProviderLog(trx, logEntry(doc, local ? INFO : ERROR, text, 'sync'));
      });
      return reply.code(202).send(doc);
    },
  );

  api.get(
    '/services/providers/:prov/logs',
    {
      config: user,
      schema: { tags, params: ProviderParams, response: { 200: Type.Array(ProviderLog), ...errors(403, 404) } },
    },
    async (req) => {
      const { doc } = await readableProvider(db, userOf(req), req.params.prov);
      return (await listProviderLogs(db, doc.id)).map(serveLog);
    },
  );
}
