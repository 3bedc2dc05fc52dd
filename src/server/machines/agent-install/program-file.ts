import { createHash, X509Certificate } from 'node:crypto';
import { readFileSync, statSync } from 'node:fs';
import { builtStandaloneAgent } from '../../providers/agent-bundle.js';

export interface AgentProgram {
  bytes: Buffer;
  sha256: string;
}

let cached: { file: string; mtimeMs: number; program: AgentProgram } | undefined;

/** The built agent program and its sha256 (read again when the build replaces it); undefined without a build. */
export function agentProgram(): AgentProgram | undefined {
  const file = builtStandaloneAgent();
  if (!file) return undefined;
  const { mtimeMs } = statSync(file);
  if (cached?.file === file && cached.mtimeMs === mtimeMs) return cached.program;
  const bytes = readFileSync(file);
  const program = { bytes, sha256: createHash('sha256').update(bytes).digest('hex') };
  cached = { file, mtimeMs, program };
  return program;
}

/** curl's `--pinnedpubkey` value for a certificate: `sha256//` + base64 of its public key's SPKI hash. */
export function publicKeyPin(certPem: string): string {
  const der = new X509Certificate(certPem).publicKey.export({ type: 'spki', format: 'der' });
  return `sha256//${createHash('sha256').update(der).digest('base64')}`;
}
