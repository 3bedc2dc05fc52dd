/**
 * The `SSH` provider's fields: `hosts` (host[:port] list), `username`, `sudo`, `fingerprints`
 * (host[:port] → `SHA256:…`), `trust_on_first_use`, and the secrets `private_key` (with its
 * `passphrase`, if any). Accepted as JSON values or as the strings `--field KEY=VALUE` gives
 * (`hosts=a,b:2222`, `sudo=true`, `fingerprints=a=SHA256:…,b:2222=SHA256:…`), stored normalized.
 */
import { ssh2 } from './ssh2.js';
import { badRequest } from '../../http/errors.js';
import { parseHost } from './session.js';

export interface SshSettings {
  hosts: string[];
  username: string;
  sudo: boolean;
  fingerprints: Record<string, string>;
  trustOnFirstUse: boolean;
  privateKey: string;
  passphrase?: string;
}

const FINGERPRINT = /^SHA256:[A-Za-z0-9+/]{43}=?$/;
const USERNAME = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,63}$/;

/** `host:port`, the key of a host everywhere (port 22 spelled out). */
export function hostKey(spec: string): string {
  const { host, port } = parseHost(spec);
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}

const list = (v: unknown, field: string): string[] => {
  if (typeof v === 'string') return v.split(/[\s,]+/).filter(Boolean);
  if (Array.isArray(v) && v.every((x) => typeof x === 'string')) return v as string[];
  throw badRequest(`${field} must be a list of strings`);
};

const flag = (v: unknown, field: string): boolean => {
  if (v === undefined || v === null || v === '') return false;
  if (typeof v === 'boolean') return v;
  if (v === 'true' || v === 'yes' || v === '1') return true;
  if (v === 'false' || v === 'no' || v === '0') return false;
  throw badRequest(`${field} must be true or false`);
};

function fingerprints(v: unknown): Record<string, string> {
  if (v === undefined || v === null || v === '') return {};
  const pairs: [string, unknown][] =
    typeof v === 'object' && !Array.isArray(v)
      ? Object.entries(v as Record<string, unknown>)
      : list(v, 'fingerprints').map((s) => {
          const eq = s.lastIndexOf('=SHA256:');
          if (eq <= 0) throw badRequest(`fingerprints: '${s}' is not host[:port]=SHA256:…`);
          return [s.slice(0, eq), s.slice(eq + 1)];
        });
  const out: Record<string, string> = {};
  for (const [host, fp] of pairs) {
    if (typeof fp !== 'string' || !FINGERPRINT.test(fp)) {
      throw badRequest(
        `fingerprints: the fingerprint of ${host} must be SHA256:<43 base64 characters> (ssh-keygen -lf)`,
      );
    }
    out[guard(() => hostKey(host))] = fp.replace(/=$/, '');
  }
  return out;
}

const guard = <T>(f: () => T): T => {
  try {
    return f();
  } catch (err) {
    throw badRequest((err as Error).message);
  }
};

/** Checks and normalizes the SSH fields present in `body` (the secrets are checked, never echoed). */
export function normalizeSshFields(body: Record<string, unknown>): Record<string, unknown> {
  const out = { ...body };
  if (body.hosts !== undefined) {
    const hosts = list(body.hosts, 'hosts').map((h) => guard(() => hostKey(h)));
    if (!hosts.length) throw badRequest('hosts must name at least one host[:port]');
    if (new Set(hosts).size !== hosts.length) throw badRequest('hosts names a host twice');
    out.hosts = hosts;
  }
  if (body.username !== undefined && (typeof body.username !== 'string' || !USERNAME.test(body.username))) {
    throw badRequest('username must be a user name of the hosts');
  }
  if (body.sudo !== undefined) out.sudo = flag(body.sudo, 'sudo');
  if (body.trust_on_first_use !== undefined)
    out.trust_on_first_use = flag(body.trust_on_first_use, 'trust_on_first_use');
  if (body.fingerprints !== undefined) out.fingerprints = fingerprints(body.fingerprints);
  if (body.private_key !== undefined) {
    if (typeof body.private_key !== 'string') throw badRequest('private_key must be a PEM or OpenSSH private key');
    const passphrase = typeof body.passphrase === 'string' ? body.passphrase : undefined;
    const parsed = ssh2().utils.parseKey(body.private_key, passphrase);
    if (parsed instanceof Error) {
      throw badRequest('private_key is not a private key that can be read (a PEM or OpenSSH key, with its passphrase)');
    }
  }
  return out;
}

/** The settings of a stored SSH provider. */
export function sshSettings(doc: Record<string, unknown>, secrets: Record<string, unknown>): SshSettings {
  return {
    hosts: Array.isArray(doc.hosts) ? (doc.hosts as string[]) : [],
    username: String(doc.username ?? ''),
    sudo: doc.sudo === true,
    fingerprints: (doc.fingerprints as Record<string, string> | undefined) ?? {},
    trustOnFirstUse: doc.trust_on_first_use === true,
    privateKey: String(secrets.private_key ?? ''),
    ...(typeof secrets.passphrase === 'string' ? { passphrase: secrets.passphrase } : {}),
  };
}
