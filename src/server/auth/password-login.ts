import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { AuthUser } from '../context.js';
import { unauthorized } from '../http/errors.js';
import { verifyPassword } from './security.js';
import type { Db } from '../store/db.js';

/**
 * Checks an email and password for `POST /services/security/token` and the console's sign-in.
 * Every attempt is counted up front (concurrent guesses cannot outrun the budget) and forgiven
 * when it succeeds; an unknown email is hashed anyway, so timing does not reveal which exist.
 */
export async function passwordLogin(
  app: FastifyInstance,
  db: Db,
  req: FastifyRequest,
  email: string,
  password: string,
): Promise<AuthUser> {
  const account = email.trim().toLowerCase();
  const { loginPerAddress, loginPerAccount } = app.authLimits;
  loginPerAddress.check(req.ip);
  loginPerAccount.check(account);
  loginPerAddress.fail(req.ip);
  loginPerAccount.fail(account);
  const user = await db
    .selectFrom('users')
    .select(['id', 'email', 'is_admin', 'password_hash'])
    .where('email', '=', email)
    .executeTakeFirst();
  const ok = await verifyPassword(password, user?.password_hash ?? 'scrypt$16384$8$1$AAAA$AAAA');
  if (!user || !ok) throw unauthorized('Invalid email or password');
  loginPerAddress.forgive(req.ip);
  loginPerAccount.forgive(account);
  return { id: user.id, email: user.email, isAdmin: user.is_admin === 1 };
}
