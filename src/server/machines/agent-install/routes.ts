/**
 * What a host needs to become a machine, all on the control plane's one HTTPS port and without
 * a user credential: the agent program with its sha256, the bootstrap script, and enrollment
 * (the one-time token is the credential; refusals count against the caller's address).
 */
import type { FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { readFileSync } from 'node:fs';
import type { ServerContext } from '../../context.js';
import { HttpError, unauthorized } from '../../http/errors.js';
import { errors } from '../../http/schemas.js';
import { redeemEnrollmentToken } from '../registered-store.js';
import { appendEvents } from '../../events/log.js';
import {
  AGENT_PROGRAM_PATH,
  AGENT_PROGRAM_SHA256_PATH,
  AGENT_SHA256_HEADER,
  BOOTSTRAP_PATH,
  ENROLL_PATH,
  EnrollRequest,
  EnrollResponse,
} from '../../../shared/protocol.js';
import { dataFiles } from '../../../shared/paths.js';
import { bootstrapScript } from './bootstrap-script.js';
import { agentProgram } from './program-file.js';

const noBuild = () => new HttpError(503, 'The agent program is not built on this server (run npm run build)');

export async function agentInstallRoutes(app: FastifyInstance, ctx: ServerContext): Promise<void> {
  const api = app.withTypeProvider<TypeBoxTypeProvider>();
  const tags = ['agents'];
  const pub = { auth: 'public' as const };

  api.get(
    AGENT_PROGRAM_PATH,
    {
      config: pub,
      schema: { tags, summary: 'The agent program: one ES module file for Node ≥ 18', response: errors(503) },
    },
    async (_req, reply) => {
      const program = agentProgram();
      if (!program) throw noBuild();
      return reply
        .header('content-type', 'text/javascript; charset=utf-8')
        .header(AGENT_SHA256_HEADER, program.sha256)
        .header('cache-control', 'no-cache')
        .send(program.bytes);
    },
  );

  api.get(
    AGENT_PROGRAM_SHA256_PATH,
    {
      config: pub,
      schema: { tags, summary: "The agent program's sha256, in sha256sum format", response: errors(503) },
    },
    async (_req, reply) => {
      const program = agentProgram();
      if (!program) throw noBuild();
      return reply.header('content-type', 'text/plain; charset=utf-8').send(`${program.sha256}  ebcli-agent.mjs\n`);
    },
  );

  api.get(
    BOOTSTRAP_PATH,
    {
      config: pub,
      schema: { tags, summary: 'POSIX sh installer of the agent; the enrollment token comes in EBCLI_ENROLL_TOKEN' },
    },
    async (_req, reply) => {
      const program = agentProgram();
      if (!program) throw noBuild();
      if (!ctx.publicUrl) throw new HttpError(503, 'The server URL is not known yet');
      const script = bootstrapScript({
        publicUrl: ctx.publicUrl,
        caPem: readFileSync(dataFiles(ctx.dataDir).caCert, 'utf8'),
        agentSha256: program.sha256,
        programPath: AGENT_PROGRAM_PATH,
      });
      return reply.header('content-type', 'text/x-shellscript; charset=utf-8').send(script);
    },
  );

  api.post(
    ENROLL_PATH,
    {
      config: pub,
      bodyLimit: 4096,
      schema: {
        tags,
        summary: 'Trades a one-time enrollment token for a machine id and credential (quality.md A4)',
        body: EnrollRequest,
        response: { 200: EnrollResponse, ...errors(400, 401, 429) },
      },
    },
    async (req) => {
      const limiter = app.authLimits.enrollPerAddress;
      limiter.check(req.ip);
      const body = req.body;
      const outcome = await redeemEnrollmentToken(ctx.db, body.token, {
        hostname: body.hostname ?? 'unnamed',
        agentVersion: body.agentVersion,
        address: req.ip,
      });
      if (!outcome.ok) {
        limiter.fail(req.ip);
        req.log.warn({ reason: outcome.reason }, 'enrollment refused');
        // One answer for every refusal: a caller learns nothing about which tokens exist.
        throw unauthorized('Invalid, used or expired enrollment token');
      }
      const { machine } = outcome;
      await ctx.db.transaction().execute((trx) =>
        appendEvents(trx, [
          {
            workspace: machine.workspace,
            type: 'machine.enrolled',
            instanceId: null,
            data: { machine: machine.id, hostname: machine.hostname, claims: machine.claims },
          },
        ]),
      );
      ctx.bus.committed(machine.workspace);
      return { machine: machine.id, token: outcome.credential };
    },
  );
}
