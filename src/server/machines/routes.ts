/**
 * Registered machines (issue 11): `POST /services/machines/enrollments` mints a one-time
 * enrollment token and the one-line bootstrap command; `GET /services/machines[/:id]` shows the
 * enrolled hosts with `state` online/offline and `last_seen` (heartbeats); `DELETE` removes one
 * (its credential stops working and its agent is disconnected).
 */
import type { FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { readFileSync } from 'node:fs';
import { assertCanRead, assertCanWrite, memberWorkspaces, userOf } from '../auth/access.js';
import { publicKeyPin } from './agent-install/program-file.js';
import type { ServerContext } from '../context.js';
import { badRequest, conflict, notFound } from '../http/errors.js';
import { appendEvents } from '../events/log.js';
import { errors } from '../http/schemas.js';
import {
  getRegisteredMachine,
  listRegisteredMachines,
  mintEnrollmentToken,
  removeRegisteredMachine,
  type RegisteredMachine,
} from './registered-store.js';
import { BOOTSTRAP_PATH, CloseCode } from '../../shared/protocol.js';
import { dataFiles } from '../../shared/paths.js';
import { EnrollmentSchema, RegisteredMachineSchema } from '../../shared/documents/machines.js';

const MIN_TTL_S = 60;
const MAX_TTL_S = 30 * 24 * 3600;
const DEFAULT_TTL_S = 3600;

const Claim = Type.String({ pattern: '^[A-Za-z0-9_.:-]{1,64}$' });

const CreateEnrollment = Type.Object(
  {
    owner: Type.Optional(Type.String({ minLength: 1, maxLength: 128 })),
    claims: Type.Optional(Type.Array(Claim, { maxItems: 32 })),
    expires_in: Type.Optional(Type.Integer({ minimum: MIN_TTL_S, maximum: MAX_TTL_S })),
  },
  { additionalProperties: false },
);

const MachineParams = Type.Object({ id: Type.String({ minLength: 1, maxLength: 64 }) });
const ListQuery = Type.Object({ owner: Type.Optional(Type.String({ maxLength: 128 })) });

export const serveMachine = (m: RegisteredMachine) => ({
  id: m.id,
  owner: m.workspace,
  hostname: m.hostname,
  claims: m.claims,
  state: m.connected ? ('online' as const) : ('offline' as const),
  last_seen: m.lastSeen,
  agent_version: m.agentVersion,
  address: m.address,
  instance: m.instanceId,
  created: m.created,
  updated: m.updated,
});

const shellQuote = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;

export async function machineRoutes(app: FastifyInstance, ctx: ServerContext): Promise<void> {
  const api = app.withTypeProvider<TypeBoxTypeProvider>();
  const { db } = ctx;
  const tags = ['machines'];
  const user = { auth: 'user' as const };

  async function readable(req: { user?: import('../context.js').AuthUser }, id: string): Promise<RegisteredMachine> {
    const m = await getRegisteredMachine(db, id);
    // Another workspace's machine is answered like a missing one.
    if (!m || !(await memberWorkspaces(db, userOf(req).id)).includes(m.workspace)) throw notFound('Machine', id);
    return m;
  }

  api.post(
    '/services/machines/enrollments',
    {
      config: user,
      schema: { tags, body: CreateEnrollment, response: { 201: EnrollmentSchema, ...errors(400, 403) } },
    },
    async (req, reply) => {
      const u = userOf(req);
      const owner = req.body.owner ?? u.id;
      await assertCanWrite(db, u, owner);
      if (!ctx.publicUrl) throw badRequest('The server URL is not known yet');
      const minted = await mintEnrollmentToken(db, {
        workspace: owner,
        claims: [...new Set(req.body.claims ?? [])],
        ttlMs: (req.body.expires_in ?? DEFAULT_TTL_S) * 1000,
        createdBy: u.id,
      });
      const certPem = readFileSync(dataFiles(ctx.dataDir).serverCert, 'utf8');
      const bootstrapUrl = `${ctx.publicUrl}${BOOTSTRAP_PATH}`;
      // The server's key is pinned for this first download; the script then checks everything else with the CA.
      const fetch = `curl -fsS --insecure --pinnedpubkey ${shellQuote(publicKeyPin(certPem))} ${shellQuote(bootstrapUrl)}`;
      const token = shellQuote(minted.token);
      return reply.code(201).send({
        id: minted.id,
        owner: minted.workspace,
        claims: minted.claims,
        expires: minted.expires,
        token: minted.token,
        bootstrap_url: bootstrapUrl,
        command: `${fetch} | sudo env EBCLI_ENROLL_TOKEN=${token} sh`,
        user_command: `${fetch} | EBCLI_ENROLL_TOKEN=${token} sh`,
      });
    },
  );

  api.get(
    '/services/machines',
    { config: user, schema: { tags, querystring: ListQuery, response: { 200: Type.Array(RegisteredMachineSchema) } } },
    async (req) => {
      const u = userOf(req);
      if (req.query.owner) await assertCanRead(db, u, req.query.owner);
      const workspaces = req.query.owner ? [req.query.owner] : await memberWorkspaces(db, u.id);
      return (await listRegisteredMachines(db, workspaces)).map(serveMachine);
    },
  );

  api.get(
    '/services/machines/:id',
    {
      config: user,
      schema: { tags, params: MachineParams, response: { 200: RegisteredMachineSchema, ...errors(404) } },
    },
    async (req) => serveMachine(await readable(req, req.params.id)),
  );

  api.delete(
    '/services/machines/:id',
    { config: user, schema: { tags, params: MachineParams, response: errors(403, 404, 409) } },
    async (req, reply) => {
      const m = await readable(req, req.params.id);
      await assertCanWrite(db, userOf(req), m.workspace);
      if (m.instanceId) throw conflict(`Machine ${m.id} runs instance ${m.instanceId}: terminate it first`);
      await db.transaction().execute(async (trx) => {
        if (!(await removeRegisteredMachine(trx, m.id))) throw notFound('Machine', m.id);
        await appendEvents(trx, [{ workspace: m.workspace, type: 'machine.removed', data: { machine: m.id } }]);
      });
      ctx.bus.committed(m.workspace);
      app.orchestration.hub.disconnect(m.id, CloseCode.policy, 'machine removed');
      return reply.code(204).send();
    },
  );
}
