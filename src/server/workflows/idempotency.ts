import { createHash } from 'node:crypto';
import { hostname } from 'node:os';
import type { Transaction } from 'kysely';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { HttpError, badRequest, conflict } from '../http/errors.js';
import type { Db } from '../store/db.js';
import type { Database } from '../store/schema.js';
import { parseTimestamp, timestamp } from '../../shared/time.js';
import { newOwnerId } from './leases.js';
import { isUniqueViolation } from './store/workflows.js';

/**
 * `Idempotency-Key` on POST, PUT, PATCH and DELETE (quality.md NL-2): the first answer to a key is
 * stored per (user, key) and a retry gets it back (status and body) without running again. A key
 * reused for another method, path or body is refused with 422. Routes that create workflows write
 * their answer in the same transaction as the workflow, so even a crash between the commit and the
 * reply is answered correctly on retry.
 */
export const IDEMPOTENCY_HEADER = 'idempotency-key';
const KEY = /^[\x21-\x7e]{1,255}$/;
const METHODS = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);
/** This process: a pending key of another live process is in progress, one of a dead process abandoned. */
const PROCESS = newOwnerId();
/** A key still pending after this long is treated as abandoned, whoever holds it. */
const PENDING_LIMIT_MS = 5 * 60_000;

declare module 'fastify' {
  interface FastifyRequest {
    idempotency?: { userId: string; key: string };
  }
}

const hashBody = (body: unknown): string =>
  createHash('sha256')
    .update(JSON.stringify(body ?? null))
    .digest('hex');

function ownerAlive(owner: string): boolean {
  if (owner === PROCESS) return true;
  const [host, pid] = owner.split('/');
  if (host !== hostname() || !pid) return true;
  try {
    process.kill(Number(pid), 0);
    return Number(pid) !== process.pid;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

async function begin(db: Db, req: FastifyRequest, reply: FastifyReply): Promise<FastifyReply | undefined> {
  const raw = req.headers[IDEMPOTENCY_HEADER];
  if (raw === undefined || !METHODS.has(req.method) || !req.user) return undefined;
  const key = Array.isArray(raw) ? raw[0] : raw;
  if (!key || !KEY.test(key)) throw badRequest('Idempotency-Key must be 1 to 255 printable ASCII characters');
  const userId = req.user.id;
  const row = { method: req.method, path: req.url, body_hash: hashBody(req.body) };
  const existing = await db
    .selectFrom('idempotency_keys')
    .selectAll()
    .where('user_id', '=', userId)
    .where('key', '=', key)
    .executeTakeFirst();
  if (existing) {
    if (existing.method !== row.method || existing.path !== row.path) {
      throw new HttpError(
        422,
        `Idempotency-Key ${key} was used for ${existing.method} ${existing.path}, not for this request`,
      );
    }
    if (existing.body_hash !== row.body_hash) {
      throw new HttpError(422, `Idempotency-Key ${key} was used with a different request body`);
    }
    if (existing.status !== null) {
      return reply
        .code(existing.status)
        .header('content-type', existing.content_type ?? 'application/json; charset=utf-8')
        .header('idempotent-replayed', 'true')
        .send(existing.response ?? '');
    }
    const age = Date.now() - (parseTimestamp(existing.created) ?? 0);
    if (ownerAlive(existing.owner) && age < PENDING_LIMIT_MS) {
      throw conflict(`A request with Idempotency-Key ${key} is still in progress`);
    }
    await db
      .deleteFrom('idempotency_keys')
      .where('user_id', '=', userId)
      .where('key', '=', key)
      .where('owner', '=', existing.owner)
      .execute();
  }
  try {
    await db
      .insertInto('idempotency_keys')
      .values({
        user_id: userId,
        key,
        ...row,
        owner: PROCESS,
        status: null,
        response: null,
        content_type: null,
        created: timestamp(),
      })
      .execute();
  } catch (err) {
    if (isUniqueViolation(err)) throw conflict(`A request with Idempotency-Key ${key} is still in progress`);
    throw err;
  }
  req.idempotency = { userId, key };
  return undefined;
}

/**
 * Stores the answer of an idempotent request inside the caller's transaction (routes that create
 * workflows call it next to the workflow insert). Does nothing for a request without a key.
 */
export async function recordAnswer(trx: Transaction<Database>, req: FastifyRequest, status: number, body: unknown) {
  if (!req.idempotency) return;
  await trx
    .updateTable('idempotency_keys')
    .set({ status, response: JSON.stringify(body), content_type: 'application/json; charset=utf-8' })
    .where('user_id', '=', req.idempotency.userId)
    .where('key', '=', req.idempotency.key)
    .execute();
}

/** Registers the preHandler/onSend pair on every route. */
export async function idempotencyHooks(app: FastifyInstance, db: Db): Promise<void> {
  app.addHook('preHandler', async (req, reply) => begin(db, req, reply));
  app.addHook('onSend', async (req, reply, payload) => {
    const idem = req.idempotency;
    if (!idem) return payload;
    req.idempotency = undefined;
    const where = db.updateTable('idempotency_keys').where('user_id', '=', idem.userId).where('key', '=', idem.key);
    if (reply.statusCode >= 500) {
      await db
        .deleteFrom('idempotency_keys')
        .where('user_id', '=', idem.userId)
        .where('key', '=', idem.key)
        .where('status', 'is', null)
        .execute();
    } else if (typeof payload === 'string' || Buffer.isBuffer(payload)) {
      const type = reply.getHeader('content-type');
      await where
        .set({
          status: reply.statusCode,
          response: payload.toString(),
          content_type: typeof type === 'string' ? type : null,
        })
        .where('status', 'is', null)
        .execute();
    } else {
      await where
        .set({ status: reply.statusCode, response: '', content_type: null })
        .where('status', 'is', null)
        .execute();
    }
    return payload;
  });
}
