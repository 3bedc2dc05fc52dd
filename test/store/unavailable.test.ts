/** Which store errors count as "unreachable for a moment" (retried by the engine, 503 from the API). */
import { describe, expect, it } from 'vitest';
import { isStoreUnavailable } from '../../src/server/store/unavailable.js';

const withCode = (message: string, fields: Record<string, unknown>) => Object.assign(new Error(message), fields);

describe('isStoreUnavailable', () => {
  it('recognises a stopped, restarting or unreachable PostgreSQL and terminated connections', () => {
    for (const err of [
      withCode('connect ENOENT /tmp/s/.s.PGSQL.5432', { code: 'ENOENT', syscall: 'connect' }),
      withCode('connect ECONNREFUSED 127.0.0.1:5432', { code: 'ECONNREFUSED' }),
      withCode('read ECONNRESET', { code: 'ECONNRESET' }),
      withCode('write EPIPE', { code: 'EPIPE' }),
      withCode('terminating connection due to administrator command', { code: '57P01' }),
      withCode('the database system is starting up', { code: '57P03' }),
      withCode('connection failure', { code: '08006' }),
      new Error('Connection terminated unexpectedly'),
      new Error('Client has encountered a connection error and is not queryable'),
      new Error('timeout exceeded when trying to connect'),
    ])
      expect(isStoreUnavailable(err), err.message).toBe(true);
  });

  it('leaves query errors and anything else alone', () => {
    for (const err of [
      withCode('duplicate key value violates unique constraint', { code: '23505' }),
      withCode('syntax error at or near', { code: '42601' }),
      withCode("ENOENT: no such file or directory, open 'x'", { code: 'ENOENT', syscall: 'open' }),
      new Error('lease on workflow w was lost'),
      'not an error',
      undefined,
    ])
      expect(isStoreUnavailable(err), String(err)).toBe(false);
  });
});
