/**
 * quality.md A5 for the agent: the installed agent program (dist/agent-bundle/ebcli-agent.mjs,
 * started alone with a configuration file) against real TLS servers on loopback whose
 * certificates a throwaway private CA signs (test/helpers/test-certs.ts). A server that offers
 * only TLS 1.0 or 1.1, a certificate for another host and an expired one are refused, on both of
 * the agent's ways in (enrollment over HTTPS and its websocket); the private CA is trusted through
 * the configuration's `ca_file` and through NODE_EXTRA_CA_CERTS, and without either it is not.
 * A refusal is seen from both sides: the server's handshake fails (`tlsClientError`), no request
 * reaches it, and the agent's log names the reason.
 */
import { connect } from 'node:tls';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server, type ServerOptions } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestCa, type Pem, type TestCa } from '../helpers/test-certs.js';
import { startStandaloneAgent, until, type StandaloneAgent } from '../helpers/standalone-agent.js';
import { ENROLL_PATH } from '../../src/shared/protocol.js';

interface TlsServer {
  url: string;
  /** Paths of the HTTP requests and websocket upgrades that got through the handshake. */
  requests: string[];
  handshakeErrors: string[];
  close(): Promise<void>;
}

async function tlsServer(pem: Pem, extra: ServerOptions = {}): Promise<TlsServer> {
  const requests: string[] = [];
  const handshakeErrors: string[] = [];
  const server: Server = createServer({ key: pem.key, cert: pem.cert, ...extra }, (req, res) => {
    requests.push(req.url ?? '');
    // An enrollment refused for good: the agent stops (exit 78) instead of retrying.
    res.writeHead(401, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ message: 'Invalid, used or expired enrollment token', code: 'unauthenticated' }));
  });
  server.on('upgrade', (req, socket) => {
    requests.push(req.url ?? '');
    socket.end('HTTP/1.1 401 Unauthorized\r\ncontent-length: 0\r\n\r\n');
  });
  server.on('tlsClientError', (err) => handshakeErrors.push(err.message));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `https://127.0.0.1:${(server.address() as AddressInfo).port}`,
    requests,
    handshakeErrors,
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}

type Way = 'enrollment' | 'websocket';
const WAYS: Way[] = ['enrollment', 'websocket'];

let ca: TestCa;
let good: Pem;
let dir: string;
const agents: StandaloneAgent[] = [];
const servers: TlsServer[] = [];

beforeAll(async () => {
  ca = await createTestCa();
  good = await ca.issue(['127.0.0.1']);
  dir = mkdtempSync(join(tmpdir(), 'ebcli-tls-policy-'));
  writeFileSync(join(dir, 'private-ca.pem'), ca.cert);
});

afterAll(async () => {
  for (const a of agents) await a.stop();
  for (const s of servers) await s.close();
  rmSync(dir, { recursive: true, force: true });
});

/** The agent, either holding an enrollment token or a machine credential, pointed at `server`. */
function agentFor(server: TlsServer, way: Way, trust: { caFile?: boolean | string; extraCa?: boolean }) {
  const files: Record<string, string> =
    way === 'enrollment'
      ? { enrollment: 'enrollment-token-value\n' }
      : { credential: JSON.stringify({ machine: 'rm-0123456789', token: 'machine-token-value' }) };
  if (trust.caFile) files['private-ca.pem'] = typeof trust.caFile === 'string' ? trust.caFile : ca.cert;
  const agent = startStandaloneAgent(
    { url: server.url, ...(trust.caFile ? { ca_file: 'private-ca.pem' } : {}) },
    files,
    trust.extraCa ? { NODE_EXTRA_CA_CERTS: join(dir, 'private-ca.pem') } : {},
  );
  agents.push(agent);
  return agent;
}

const failureLine = (way: Way) => (way === 'enrollment' ? '"enrollment failed, retrying"' : '"agent connection error"');

async function expectRefused(server: TlsServer, way: Way, agent: StandaloneAgent, reason: RegExp) {
  await until(() => agent.log().includes(failureLine(way)), `the agent to report the failed ${way}`, 20_000);
  await until(() => server.handshakeErrors.length > 0, 'the server to see the handshake fail', 10_000);
  expect(agent.log()).toMatch(reason);
  expect(server.requests).toEqual([]);
  await agent.stop();
}

async function expectAccepted(server: TlsServer, way: Way, agent: StandaloneAgent) {
  const path = way === 'enrollment' ? ENROLL_PATH : '/services/agent';
  await until(() => server.requests.some((r) => r.startsWith(path)), `the ${way} request to arrive`, 20_000);
  expect(server.handshakeErrors).toEqual([]);
  await agent.stop();
}

async function serve(pem: Pem, extra: ServerOptions = {}) {
  const s = await tlsServer(pem, extra);
  servers.push(s);
  return s;
}

describe('A5: the agent refuses weak or wrong TLS', () => {
  it.each([
    ['TLS 1.0', 'TLSv1'],
    ['TLS 1.1', 'TLSv1.1'],
  ] as const)(
    'refuses a server that offers only %s (enrollment and websocket)',
    async (_name, version) => {
      const server = await serve(good, { minVersion: 'TLSv1', maxVersion: version, ciphers: 'DEFAULT:@SECLEVEL=0' });
      // Control: the server does speak that version to a client that allows it.
      const spoken = await new Promise<string>((resolve, reject) => {
        const port = Number(new URL(server.url).port);
        const socket = connect({
          host: '127.0.0.1',
          port,
          ca: ca.cert,
          minVersion: 'TLSv1',
          maxVersion: version,
          ciphers: 'DEFAULT:@SECLEVEL=0',
        });
        socket.once('secureConnect', () => {
          resolve(socket.getProtocol() ?? '');
          socket.end();
        });
        socket.once('error', reject);
      });
      expect(spoken).toBe(version);
      server.handshakeErrors.length = 0;
      server.requests.length = 0;
      for (const way of WAYS) {
        await expectRefused(server, way, agentFor(server, way, { caFile: true }), /protocol|version/i);
        server.handshakeErrors.length = 0;
      }
    },
    60_000,
  );

  it.each(WAYS)(
    'refuses a certificate for another host (%s)',
    async (way) => {
      const server = await serve(await ca.issue(['wrong.example']));
      await expectRefused(server, way, agentFor(server, way, { caFile: true }), /does not match|altnames/i);
    },
    30_000,
  );

  it.each(WAYS)(
    'refuses an expired certificate (%s)',
    async (way) => {
      const expired = await ca.issue(['127.0.0.1'], {
        notBefore: new Date(Date.now() - 10 * 86_400_000),
        notAfter: new Date(Date.now() - 86_400_000),
      });
      const server = await serve(expired);
      await expectRefused(server, way, agentFor(server, way, { caFile: true }), /expired/i);
    },
    30_000,
  );

  it.each(WAYS)(
    'refuses a private CA it was not told to trust (%s)',
    async (way) => {
      const server = await serve(good);
      await expectRefused(server, way, agentFor(server, way, {}), /unable to verify|issuer|self[- ]signed/i);
    },
    30_000,
  );
});

describe('A5: the agent trusts a private CA by both routes', () => {
  it.each(WAYS)(
    'through the configuration’s ca_file (%s)',
    async (way) => {
      const server = await serve(good);
      await expectAccepted(server, way, agentFor(server, way, { caFile: true }));
    },
    30_000,
  );

  it.each(WAYS)(
    'through NODE_EXTRA_CA_CERTS (%s)',
    async (way) => {
      const server = await serve(good);
      await expectAccepted(server, way, agentFor(server, way, { extraCa: true }));
    },
    30_000,
  );

  it.each(WAYS)(
    'through NODE_EXTRA_CA_CERTS when ca_file names another CA (%s)',
    async (way) => {
      const other = await createTestCa('another CA');
      const server = await serve(good);
      await expectAccepted(server, way, agentFor(server, way, { caFile: other.cert, extraCa: true }));
    },
    30_000,
  );
});
