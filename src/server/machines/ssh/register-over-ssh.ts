/**
 * CAM's register-instance-request (`POST /services/instances`, cam-api.md §2.4) and
 * `ebcli machines register --ssh`: the same path as the `SSH` provider's provisioning (ssh with
 * the given key, host key checked, the bootstrap run with a fresh enrollment token on stdin), for
 * a machine that joins the workspace's pool of registered machines (Existing Machines). The key
 * is used for this one connection and not kept. Answers once the agent has enrolled.
 */
import { readFileSync } from 'node:fs';
import { assertCanWrite } from '../../auth/access.js';
import type { AuthUser, ServerContext } from '../../context.js';
import { badRequest, HttpError } from '../../http/errors.js';
import type { RegisterInstanceBody } from '../../instances/schemas.js';
import { machineOfEnrollment, mintEnrollmentToken, type RegisteredMachine } from '../registered-store.js';
import { awaitEnrollment, installAgentOverSsh } from './agent-over-ssh.js';
import { normalizeSshFields } from './provider-fields.js';
import { HostKeyRefused, parseHost, type SshTarget } from './session.js';
import { dataFiles } from '../../../shared/paths.js';

const ENROLLMENT_TTL_MS = 15 * 60_000;
const SSH_TIMEOUT_MS = 120_000;
const ENROLL_WAIT_MS = 60_000;

export async function registerOverSsh(
  ctx: ServerContext,
  me: AuthUser,
  body: RegisterInstanceBody,
): Promise<RegisteredMachine> {
  const owner = body.owner ?? me.id;
  await assertCanWrite(ctx.db, me, owner);
  if (body.windows_username || body.windows_password) {
    throw badRequest(
      'Windows machines cannot be registered by this version: register a Linux machine (linux_username, private_key)',
    );
  }
  if (!body.linux_username || !body.private_key)
    throw badRequest('Registering a machine needs linux_username and private_key');
  if (!body.host_fingerprint && !body.trust_on_first_use) {
    throw badRequest(
      "Registering a machine needs the host's key: host_fingerprint (SHA256:…, ssh-keygen -lf /etc/ssh/ssh_host_ed25519_key.pub on the host) or trust_on_first_use: true",
    );
  }
  const fields = normalizeSshFields({
    hosts: body.unregistered_id,
    username: body.linux_username,
    private_key: body.private_key,
    ...(body.passphrase ? { passphrase: body.passphrase } : {}),
    ...(body.host_fingerprint ? { fingerprints: { [body.unregistered_id]: body.host_fingerprint } } : {}),
  });
  const hostKey = (fields.hosts as string[])[0]!;
  if (!ctx.publicUrl) throw new HttpError(503, 'The server URL is not known yet');
  const { host, port } = parseHost(hostKey);
  const known = (fields.fingerprints as Record<string, string> | undefined)?.[hostKey];
  const enrollment = await mintEnrollmentToken(ctx.db, {
    workspace: owner,
    claims: [...new Set(body.instance_tags ?? [])],
    ttlMs: ENROLLMENT_TTL_MS,
    createdBy: me.id,
  });
  const target: SshTarget = {
    host,
    port,
    username: body.linux_username,
    privateKey: body.private_key,
    ...(body.passphrase ? { passphrase: body.passphrase } : {}),
    fingerprints: known ? [known] : [],
    trustOnFirstUse: body.trust_on_first_use === true,
  };
  try {
    await installAgentOverSsh(target, {
      publicUrl: ctx.publicUrl,
      certPem: readFileSync(dataFiles(ctx.dataDir).serverCert, 'utf8'),
      enrollmentToken: enrollment.token,
      sudo: body.sudo === true,
      timeoutMs: SSH_TIMEOUT_MS,
    });
  } catch (err) {
    if (err instanceof HostKeyRefused) throw badRequest(err.message);
    throw new HttpError(502, (err as Error).message, 'agent_unreachable');
  }
  try {
    return await awaitEnrollment(target, {
      sudo: body.sudo === true,
      timeoutMs: ENROLL_WAIT_MS,
      enrolled: () => machineOfEnrollment(ctx.db, enrollment.id),
    });
  } catch (err) {
    throw new HttpError(504, (err as Error).message, 'agent_unreachable');
  }
}
