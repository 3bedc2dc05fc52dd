import { randomBytes } from 'node:crypto';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { assertCanWrite, userOf } from '../auth/access.js';
import type { ServerContext } from '../context.js';
import { badRequest, conflict, notFound, unauthorized } from '../http/errors.js';
import { readableInstance } from '../auth/resource-access.js';
import { errors, served } from '../http/schemas.js';
import { hashSecret, verifySecret } from '../auth/security.js';
import { machineForToken, machinesOf, registeredAsMachine } from '../workflows/store/machines.js';
import { registeredMachineForToken } from '../machines/registered-store.js';
import { checksForInstance } from './checks-store.js';
import { ensureWebsocket, releaseUpgrade } from '../ws/plugin.js';
import { timestamp } from '../../shared/time.js';
import { publicKeyOf } from '../../shared/monitoring/signing.js';
import {
  EnrollBody,
  EnrollReply,
  WATCHER_ENROLL_PATH,
  WATCHER_PATH,
} from '../../shared/monitoring/watcher-protocol.js';
import type { WatchersTable } from './tables.js';
import type { WatcherHub } from './watcher-hub.js';
import { servingOf, serveWatcher, watcherByUsername, watchersOfInstance } from './watcher-store.js';
import { RunAnswerSchema, WatcherDocSchema } from '../../shared/monitoring/msa-docs.js';

declare module 'fastify' {
  interface FastifyRequest {
    watcher?: WatchersTable;
  }
}

function bearer(req: FastifyRequest): string | undefined {
  const m = /^Bearer\s+(\S{1,512})\s*$/i.exec(String(req.headers.authorization ?? ''));
  return m?.[1];
}

function basic(req: FastifyRequest): { username: string; password: string } | undefined {
  const m = /^Basic\s+([A-Za-z0-9+/=]{1,512})\s*$/i.exec(String(req.headers.authorization ?? ''));
  if (!m) return undefined;
  const text = Buffer.from(m[1]!, 'base64').toString();
  const colon = text.indexOf(':');
  return colon < 1 ? undefined : { username: text.slice(0, colon), password: text.slice(colon + 1) };
}

/** Enrollment, the Watcher channel, and the users' view of Watchers (list, revoke). */
export async function watcherRoutes(app: FastifyInstance, ctx: ServerContext, hub: WatcherHub): Promise<void> {
  await ensureWebsocket(app);
  const api = app.withTypeProvider<TypeBoxTypeProvider>();
  const { db } = ctx;
  const tags = ['msa'];
  const limits = () => app.authLimits.machineTokenPerAddress;

  api.post(
    WATCHER_ENROLL_PATH,
    {
      config: { auth: 'agent' },
      schema: {
        tags,
        summary: "Enrolls a machine's Watcher: Authorization: Bearer <machine token>, body {public_key}",
        body: EnrollBody,
        response: { 201: EnrollReply, ...errors(400, 401, 429) },
      },
      onRequest: async (req) => {
        const token = bearer(req);
        if (!token) throw unauthorized('Machine token required: send Authorization: Bearer <token>');
        limits().check(req.ip);
        // A deploy's machine, or a registered host (its Watcher enrolls under the host's id and
        // follows the deploys that hold it: watcher-store.ts servingOf).
        const deployed = await machineForToken(db, token);
        const host = deployed ? undefined : await registeredMachineForToken(db, token);
        const machine = deployed ?? (host ? registeredAsMachine(host) : undefined);
        if (!machine || machine.state === 'terminated') {
          limits().fail(req.ip);
          throw unauthorized('Invalid machine token');
        }
        req.agentMachine = machine;
        app.socketCap.authenticated(req.socket);
      },
    },
    async (req, reply) => {
      const machine = req.agentMachine!;
      try {
        publicKeyOf(req.body.public_key);
      } catch {
        throw badRequest('body/public_key must be a base64 SPKI Ed25519 public key');
      }
      const username = `watcher-${machine.name}-${randomBytes(4).toString('hex')}`;
      const password = randomBytes(24).toString('base64url');
      await db.transaction().execute(async (trx) => {
        // A machine has one Watcher: enrolling again revokes the previous one.
        await trx.updateTable('watchers').set({ revoked: 1 }).where('machine', '=', machine.name).execute();
        await trx
          .insertInto('watchers')
          .values({
            username,
            machine: machine.name,
            instance_id: machine.instanceId,
            workspace: machine.workspace,
            password_hash: hashSecret(password),
            public_key: req.body.public_key,
            last_seq: 0,
            last_result: 0,
            accepted: 0,
            rejected: 0,
            emitted: 0,
            dropped: 0,
            last_seen: null,
            revoked: 0,
            created: timestamp(),
          })
          .execute();
      });
      return reply.code(201).send({ machine: machine.name, username, password, server_key: hub.key.publicKey });
    },
  );

  app.route({
    method: 'GET',
    url: WATCHER_PATH,
    config: { auth: 'agent' },
    schema: {
      tags,
      summary: 'Watcher channel: websocket upgrade with Authorization: Basic <watcher username:password>',
      response: { 426: Type.Object({ message: Type.String() }), ...errors(401, 429) },
    },
    onRequest: async (req, reply) => {
      const creds = basic(req);
      if (!creds) throw unauthorized('Watcher credentials required: send Authorization: Basic');
      limits().check(req.ip);
      const row = await watcherByUsername(db, creds.username);
      if (
        !row ||
        row.revoked ||
        !(await verifySecret(creds.password, row.password_hash)) ||
        !(await servingOf(db, row))
      ) {
        limits().fail(req.ip);
        throw unauthorized('Invalid Watcher credentials');
      }
      req.watcher = row;
      req.upgradeResponse = reply.raw;
      app.socketCap.authenticated(req.socket);
    },
    handler: async (_req, reply) => reply.code(426).send({ message: 'This endpoint only accepts websocket upgrades' }),
    wsHandler: (socket, req) => {
      releaseUpgrade(socket, req.upgradeResponse);
      if (req.watcher) hub.accept(socket, req.watcher);
      else socket.terminate();
    },
  });

  api.get(
    '/services/msa/watchers',
    {
      config: { auth: 'user' },
      schema: {
        tags,
        querystring: Type.Object({ instance: Type.String({ minLength: 1, maxLength: 128 }) }),
        response: { 200: Type.Array(served(WatcherDocSchema)), ...errors(403, 404) },
      },
    },
    async (req) => {
      const instance = await readableInstance(db, userOf(req), req.query.instance);
      return (await watchersOfInstance(db, instance.id)).map(serveWatcher);
    },
  );

  api.post(
    '/services/msa/run',
    {
      config: { auth: 'user' },
      schema: {
        tags,
        summary: "Asks an instance's Watchers to run its checks (or one of them) now",
        body: Type.Object(
          {
            instance: Type.String({ minLength: 1, maxLength: 128 }),
            check: Type.Optional(Type.String({ minLength: 1, maxLength: 128 })),
          },
          { additionalProperties: false },
        ),
        response: { 202: RunAnswerSchema, ...errors(400, 403, 404, 409) },
      },
    },
    async (req, reply) => {
      const me = userOf(req);
      const instance = await readableInstance(db, me, req.body.instance);
      await assertCanWrite(db, me, instance.owner);
      let checks = await checksForInstance(db, instance);
      if (req.body.check) {
        checks = checks.filter((c) => c.id === req.body.check || c.name === req.body.check);
        if (!checks.length) throw badRequest(`check ${req.body.check} is not assigned to instance ${instance.id}`);
      }
      if (!checks.length) throw badRequest(`instance ${instance.id} has no checks`);
      const machines = (await machinesOf(db, instance.id)).map((m) => m.name);
      const asked = hub.runNow(
        machines,
        checks.map((c) => c.id),
      );
      if (!asked.length) throw conflict(`no Watcher of instance ${instance.id} is connected`);
      return reply.code(202).send({ instance: instance.id, machines: asked, checks: checks.map((c) => c.name) });
    },
  );

  api.delete(
    '/services/msa/watchers/:watcher',
    {
      config: { auth: 'user' },
      schema: {
        tags,
        params: Type.Object({ watcher: Type.String({ minLength: 1, maxLength: 256 }) }),
        response: errors(403, 404),
      },
    },
    async (req, reply) => {
      const me = userOf(req);
      const row = await watcherByUsername(db, req.params.watcher);
      if (!row) throw notFound('Watcher', req.params.watcher);
      await readableInstance(db, me, row.instance_id).catch(() => {
        throw notFound('Watcher', req.params.watcher);
      });
      await assertCanWrite(db, me, row.workspace);
      await db.updateTable('watchers').set({ revoked: 1 }).where('username', '=', row.username).execute();
      hub.disconnect(row.username, 'revoked');
      return reply.code(204).send();
    },
  );
}
