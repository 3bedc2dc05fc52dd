/**
 * Installs the agent on a host over ssh (the `SSH` provider and CAM's register-instance-request),
 * and removes one the provider installed. The enrollment token goes to the remote shell on its
 * stdin, never in a command line (neither ours nor the host's); with `sudo`, `sudo -n` (no
 * password prompt: the user needs passwordless sudo) runs the bootstrap as root.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { uninstallScript } from '../agent-install/uninstall-script.js';
import { publicKeyPin } from '../agent-install/program-file.js';
import { BOOTSTRAP_PATH } from '../../../shared/protocol.js';
import { sshRun, type SshResult, type SshTarget } from './session.js';

const q = (s: string): string => `'${s.replace(/'/g, `'\\''`)}'`;

const tail = (s: string, lines = 8) => s.trim().split('\n').slice(-lines).join('\n');

export interface InstallArgs {
  publicUrl: string;
  /** The server certificate (PEM): its key is pinned for the bootstrap's download. */
  certPem: string;
  enrollmentToken: string;
  sudo: boolean;
  timeoutMs: number;
}

function script(a: InstallArgs): string {
  const url = `${a.publicUrl}${BOOTSTRAP_PATH}`;
  const runAs = a.sudo ? 'sudo -n ' : '';
  return `set -eu
f=$(mktemp)
trap 'rm -f "$f"' EXIT
curl -fsS --insecure --pinnedpubkey ${q(publicKeyPin(a.certPem))} -o "$f" ${q(url)} ||
  { echo "ebcli: this host cannot download ${url}" >&2; exit 1; }
IFS= read -r t
printf '%s\\n' "$t" | ${runAs}sh -c 'IFS= read -r EBCLI_ENROLL_TOKEN; export EBCLI_ENROLL_TOKEN; exec sh "$1" </dev/null' sh "$f"
`;
}

/** Runs the bootstrap on the target; throws with the end of its output when it fails. */
export async function installAgentOverSsh(target: SshTarget, a: InstallArgs): Promise<SshResult> {
  const r = await sshRun(target, `sh -c ${q(script(a))}`, {
    stdin: `${a.enrollmentToken}\n`,
    timeoutMs: a.timeoutMs,
  });
  if (r.code !== 0) {
    const why = tail(r.stderr) || `exit code ${r.code}`;
    throw new Error(`installing the agent on ${target.host}:${target.port} failed:\n${why}`);
  }
  return r;
}

/**
 * Waits until the agent the bootstrap started has traded its enrollment token (`enrolled` finds
 * the machine); otherwise fails with the end of the agent's log on the host, which says why (a
 * control plane URL the host cannot reach, a refused certificate, …).
 */
export async function awaitEnrollment<T>(
  target: SshTarget,
  a: { sudo: boolean; timeoutMs: number; enrolled: () => Promise<T | undefined> },
): Promise<T> {
  const deadline = Date.now() + a.timeoutMs;
  for (;;) {
    const found = await a.enrolled();
    if (found) return found;
    if (Date.now() >= deadline) break;
    await sleep(250);
  }
  const log = a.sudo ? '/var/log/ebcli-agent/agent.log' : '"$HOME/.ebcli-agent/agent.log"';
  const tailCmd = `tail -n 5 ${log} 2>&1`;
  const seen = await sshRun(target, a.sudo ? `sudo -n sh -c ${q(tailCmd)}` : tailCmd, { timeoutMs: 30_000 })
    .then((r) => r.stdout.trim())
    .catch((err: Error) => `(could not read it: ${err.message})`);
  throw new Error(
    `the agent installed on ${target.host}:${target.port} did not enroll within ${Math.round(a.timeoutMs / 1000)} s; the end of its log:\n${seen}`,
  );
}

/** Stops and removes the agent the bootstrap installed on the target, with the instance's folder. */
export async function removeAgentOverSsh(
  target: SshTarget,
  a: { instanceId: string; sudo: boolean; timeoutMs: number },
): Promise<SshResult> {
  const body = `sh -c ${q(uninstallScript(a.instanceId))}`;
  const r = await sshRun(target, a.sudo ? `sudo -n ${body}` : body, { timeoutMs: a.timeoutMs });
  if (r.code !== 0) {
    throw new Error(`removing the agent from ${target.host}:${target.port} failed:\n${tail(r.stderr) || r.code}`);
  }
  return r;
}
