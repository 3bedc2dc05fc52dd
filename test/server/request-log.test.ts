import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Agent, request } from 'undici';
import { afterAll, describe, expect, it } from 'vitest';
import { ensureBuilt, runCli } from '../cli/helpers.js';
import { loggableUrl } from '../../src/server/http/request-log.js';
import { dataFiles } from '../../src/shared/paths.js';
import { processAlive } from '../../src/shared/process.js';
import { databaseEnv, dropTestDatabase } from '../helpers/store.js';

const home = mkdtempSync(join(tmpdir(), 'ebcli-log-'));
const dataDir = join(home, 'data');
const env = { HOME: home, XDG_CONFIG_HOME: join(home, 'config'), XDG_DATA_HOME: join(home, 'xdg') };
let pid: number | undefined;
afterAll(async () => {
  if (pid && processAlive(pid)) await runCli(['server', 'stop', '--data-dir', dataDir], { env });
  if (pid && processAlive(pid)) process.kill(pid, 'SIGKILL');
  rmSync(home, { recursive: true, force: true });
  await dropTestDatabase(dataDir);
});

describe('loggableUrl', () => {
  it('masks credential-like query parameters and keeps the rest', () => {
    expect(loggableUrl('/services/health')).toBe('/services/health');
    expect(loggableUrl('/a?token=abc&since=5')).toBe('/a?token=***&since=5');
    expect(loggableUrl('/a?ACCESS_TOKEN=abc&api%5Fkey=x&password&limit=1')).toBe(
      '/a?ACCESS_TOKEN=***&api%5Fkey=***&password=***&limit=1',
    );
    expect(loggableUrl('/a?%E0%A4%A=secret')).toBe('/a?***');
    expect(loggableUrl('/a?')).toBe('/a');
  });
});

describe('server.log', () => {
  it('never holds a token sent in a query string (real server, real log file)', async () => {
    ensureBuilt();
    const started = await runCli(['server', 'start', '--json', '--data-dir', dataDir], {
      env: { ...env, ...(await databaseEnv(dataDir)) },
      timeoutMs: 60_000,
    });
    expect(started.code, started.stderr).toBe(0);
    pid = started.json().pid as number;
    const files = dataFiles(dataDir);
    const adminToken = readFileSync(files.adminToken, 'utf8').trim();
    const dispatcher = new Agent({ connect: { ca: readFileSync(files.caCert) } });
    const url: string = started.json().url;
    const secrets = ['Q1-secret-value', 'Q2-secret-value', 'Q3-secret-value', 'Q4-secret-value', adminToken];
    const get = async (path: string, headers: Record<string, string> = {}) => {
      const res = await request(`${url}${path}`, { dispatcher, headers });
      await res.body.text();
      return res.statusCode;
    };
    expect(await get(`/services/health?token=${secrets[0]}&since=5`)).toBe(200);
    expect(await get(`/services/workspaces?access_token=${secrets[1]}`)).toBe(401);
    expect(await get(`/services/workspaces?password=${secrets[2]}`, { 'elasticbox-token': adminToken })).toBe(200);
    expect(await get(`/services/nowhere?%E0%A4%A=${secrets[3]}`)).toBe(404);
    await dispatcher.close();
    const stop = await runCli(['server', 'stop', '--json', '--data-dir', dataDir], { env, timeoutMs: 60_000 });
    expect(stop.json().stopped).toBe(true);

    const log = readFileSync(files.logFile, 'utf8');
    // The requests were logged (so the check below is about a log that saw them) …
    expect(log).toContain('/services/health?token=***&since=5');
    expect(log).toContain('/services/workspaces?access_token=***');
    expect(log).toContain('/services/workspaces?password=***');
    expect(log).toContain('/services/nowhere?***');
    // … and no secret reached it.
    for (const s of secrets) expect(log.includes(s), s.slice(0, 8)).toBe(false);
  }, 120_000);
});
