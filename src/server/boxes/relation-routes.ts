import type { FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { assertCanRead, userOf } from '../auth/access.js';
import { readableBox } from './variables.js';
import { boxTree, flattenTree } from './stack.js';
import type { AuthUser, ServerContext } from '../context.js';
import { notFound } from '../http/errors.js';
import { Binding, BoxParams } from './schemas.js';
import { errors, served } from '../http/schemas.js';
import { BoxDocSchema } from '../../shared/documents/boxes.js';
import { getBox, listVersions, type BoxDoc } from './store.js';
import type { Db } from '../store/db.js';

const tags = ['boxes'];
const user = { auth: 'user' as const };
const schema = <T>(response: T) => ({ tags, params: BoxParams, response: { 200: response, ...errors(403, 404) } });

async function readable(db: Db, me: AuthUser, id: string): Promise<BoxDoc> {
  const box = await getBox(db, id);
  if (!box) throw notFound('Box', id);
  await assertCanRead(db, me, box.owner);
  return box;
}

/** Read-only views of a box's relations: its versions, its nested stack and its bindings. */
export async function boxRelationRoutes(app: FastifyInstance, ctx: ServerContext): Promise<void> {
  const api = app.withTypeProvider<TypeBoxTypeProvider>();
  const { db } = ctx;

  api.get(
    '/services/boxes/:id/versions',
    { config: user, schema: schema(Type.Array(served(BoxDocSchema))) },
    async (req) => {
      const box = await readable(db, userOf(req), req.params.id);
      return listVersions(db, box.version?.box ?? box.id);
    },
  );

  api.get(
    '/services/boxes/:id/stack',
    { config: user, schema: schema(Type.Array(served(BoxDocSchema))) },
    async (req) => {
      const box = await readable(db, userOf(req), req.params.id);
      return flattenTree(await boxTree(db, box.id));
    },
  );

  api.get('/services/boxes/:id/bindings', { config: user, schema: schema(Type.Array(Binding)) }, async (req) => {
    const me = userOf(req);
    const box = await readable(db, me, req.params.id);
    const out: { id: string; uri: string; name: string; icon?: string }[] = [];
    for (const v of box.variables ?? []) {
      if (v.type !== 'Binding' || !v.value || v.value === 'AnyBox' || out.some((b) => b.id === v.value)) continue;
      const target = await readableBox(db, me, v.value);
      if (target)
        out.push({
          id: target.id,
          uri: target.uri,
          name: target.name,
          ...(target.icon ? { icon: target.icon as string } : {}),
        });
    }
    return out;
  });
}
