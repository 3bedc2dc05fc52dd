/**
 * The `SSH` provider: machines are hosts of the provider's `hosts` list, reached over ssh with its
 * key (host keys checked against its `fingerprints`, or learned once with `trust_on_first_use`).
 * Provisioning takes a free host, mints an enrollment token held by the deploy's machine and runs
 * the bootstrap there (with `sudo -n` if `sudo`); the workflow then waits for the agent to call
 * back, and the machine serves the deploy like a registered one. Destroying removes the agent the
 * provider installed (and the instance folder) over ssh, then forgets the machine and frees the host.
 */
import { readFileSync } from 'node:fs';
import type { Db } from '../store/db.js';
import { getInstance } from '../instances/store.js';
import { getProvider, getProviderSecrets, updateProvider } from './store.js';
import { machineOfEnrollment, mintEnrollmentToken, removeRegisteredMachine } from '../machines/registered-store.js';
import { deleteSshInstall, getSshInstall, setSshEnrollment, takeSshHost } from '../machines/ssh-installs-store.js';
import { awaitEnrollment, installAgentOverSsh, removeAgentOverSsh } from '../machines/ssh/agent-over-ssh.js';
import { sshSettings, type SshSettings } from '../machines/ssh/provider-fields.js';
import { parseHost, type SshTarget } from '../machines/ssh/session.js';
import { providerIdOf } from '../workflows/instance-doc.js';
import type { AgentChannel } from '../workflows/env.js';
import { dataFiles } from '../../shared/paths.js';
import { timestamp } from '../../shared/time.js';
import { RemoteHostProvider } from './remote-host.js';
import type { MachineSpec } from './types.js';

const ENROLLMENT_TTL_MS = 15 * 60_000;
const SSH_TIMEOUT_MS = 120_000;
const ENROLL_WAIT_MS = 90_000;

/** The ssh target for `host` (`host:port`) with the provider's key and that host's fingerprint. */
export function sshTarget(s: SshSettings, host: string): SshTarget {
  const { host: name, port } = parseHost(host);
  const known = s.fingerprints[host];
  return {
    host: name,
    port,
    username: s.username,
    privateKey: s.privateKey,
    ...(s.passphrase ? { passphrase: s.passphrase } : {}),
    fingerprints: known ? [known] : [],
    trustOnFirstUse: s.trustOnFirstUse,
  };
}

export class SshProvider extends RemoteHostProvider {
  readonly kind = 'ssh';

  constructor(
    private readonly db: Db,
    agents: () => AgentChannel,
    private readonly dataDir: string,
  ) {
    super(agents);
  }

  private async settings(providerId: string): Promise<SshSettings> {
    const doc = await getProvider(this.db, providerId);
    if (!doc) throw new Error(`provider ${providerId} does not exist`);
    return sshSettings(doc, await getProviderSecrets(this.db, providerId));
  }

  /** Trust on first use: the key a host showed the first time becomes the one it must show. */
  private async learn(providerId: string, host: string, fingerprint: string): Promise<void> {
    const doc = await getProvider(this.db, providerId);
    if (!doc) return;
    const known = (doc.fingerprints as Record<string, string> | undefined) ?? {};
    if (known[host]) return;
    await updateProvider(this.db, { ...doc, fingerprints: { ...known, [host]: fingerprint }, updated: timestamp() });
  }

  async provision(spec: MachineSpec) {
    const doc = await getInstance(this.db, spec.instanceId);
    if (!doc) throw new Error(`instance ${spec.instanceId} no longer exists`);
    const providerId = providerIdOf(doc) as string;
    const s = await this.settings(providerId);
    const row = await takeSshHost(this.db, {
      machineName: spec.name,
      providerId,
      workspace: doc.owner,
      instanceId: spec.instanceId,
      hosts: s.hosts,
      sudo: s.sudo,
    });
    if (!row) throw new Error(`every host of the SSH provider (${s.hosts.join(', ')}) serves a machine already`);
    const address = { public: parseHost(row.host).host, private: parseHost(row.host).host };
    // Provisioning again (a crashed step) keeps an agent that enrolled already.
    if (row.enrollment_id && (await machineOfEnrollment(this.db, row.enrollment_id))) return { agentPid: 0, address };
    const enrollment = await mintEnrollmentToken(this.db, {
      workspace: doc.owner,
      claims: [],
      ttlMs: ENROLLMENT_TTL_MS,
      createdBy: `provider:${providerId}`,
      holder: { instanceId: spec.instanceId, machineName: spec.name },
    });
    await setSshEnrollment(this.db, spec.name, enrollment.id);
    const target = sshTarget(s, row.host);
    const installed = await installAgentOverSsh(target, {
      publicUrl: spec.serverUrl,
      certPem: readFileSync(dataFiles(this.dataDir).serverCert, 'utf8'),
      enrollmentToken: enrollment.token,
      sudo: row.sudo === 1,
      timeoutMs: SSH_TIMEOUT_MS,
    });
    if (s.trustOnFirstUse) await this.learn(providerId, row.host, installed.fingerprint);
    // An agent that cannot enroll (a URL the host cannot reach, …) fails here with its log,
    // not after the workflow's wait for its connection.
    const learned = { ...target, fingerprints: [installed.fingerprint] };
    await awaitEnrollment(learned, {
      sudo: row.sudo === 1,
      timeoutMs: ENROLL_WAIT_MS,
      enrolled: () => machineOfEnrollment(this.db, enrollment.id),
    });
    return { agentPid: 0, address };
  }

  async destroy(name: string): Promise<void> {
    const row = await getSshInstall(this.db, name);
    if (!row) return;
    const machine = row.enrollment_id ? await machineOfEnrollment(this.db, row.enrollment_id) : undefined;
    try {
      const s = await this.settings(row.provider_id);
      await removeAgentOverSsh(sshTarget(s, row.host), {
        instanceId: row.instance_id,
        sudo: row.sudo === 1,
        timeoutMs: SSH_TIMEOUT_MS,
      });
    } catch (err) {
      // An agent that never enrolled may never have been installed; one that did must be removed.
      if (machine) throw err;
    }
    await this.db.transaction().execute(async (trx) => {
      if (machine) await removeRegisteredMachine(trx, machine.id);
      await deleteSshInstall(trx, name);
    });
  }
}
