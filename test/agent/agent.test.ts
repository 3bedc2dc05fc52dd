import { existsSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { agentUrl, runAgent, type AgentHandle } from '../../src/agent/main.js';
import type { SetVariableMessage } from '../../src/shared/protocol.js';
import { executeMessage, FakeControlPlane } from './control-plane.js';
import { removeTempDirs, tempDir } from './helpers.js';

const TOKEN = 'machine-token-for-tests';
const P = 200;
let cp: FakeControlPlane;
let agent: AgentHandle | undefined;
let workdir: string;
let spoolDir: string;

beforeAll(async () => {
  cp = await FakeControlPlane.start({ token: TOKEN, pingIntervalMs: P });
});
afterEach(async () => {
  await agent?.stop();
  agent = undefined;
  cp.autoAck = true;
  cp.tap(() => {});
});
afterAll(async () => {
  await cp.close();
  removeTempDirs();
});

async function startAgent(token = TOKEN): Promise<AgentHandle> {
  const dir = tempDir();
  workdir = join(dir, 'work');
  spoolDir = join(dir, 'spool');
  const hellos = cp.hellos().length;
  agent = await runAgent({
    url: cp.url,
    token,
    caFile: cp.caFile,
    workdir,
    spoolDir,
    machine: 'web-eb-l2gmi-1',
    pingIntervalMs: P,
    killGraceMs: 200,
    reconnect: { baseMs: 50, capMs: 200 },
  });
  if (token === TOKEN) await cp.waitForHello(hellos + 1);
  return agent;
}

describe('agent over a real TLS websocket', () => {
  it('builds the agent URL and refuses URLs without TLS', () => {
    expect(agentUrl('https://cam.example:8443')).toBe('wss://cam.example:8443/services/agent');
    expect(agentUrl('wss://cam.example/services/agent')).toBe('wss://cam.example/services/agent');
    expect(() => agentUrl('http://cam.example')).toThrow(/https or wss/);
  });

  it('says hello, renders the script with the CAM context and streams output with seq numbers', async () => {
    await startAgent();
    expect(cp.hellos().at(-1)).toMatchObject({ machine: 'web-eb-l2gmi-1', protocol: 1, pending: [], running: [] });
    const msg = executeMessage({
      template: [
        'echo "port={{ PORT }} db={{ db.PORT }} first={{ db[0].address.private }} child={{ nginx.conf.WORKERS }}"',
        '{% for i in db %}echo "bound {{ i.address.private }}"{{ "\\n" }}{% endfor %}',
        'echo "env PORT=$PORT scope=$ELASTICBOX_SCOPE id=$ELASTICBOX_INSTANCE_ID path=$ELASTICBOX_PATH"',
        'echo "folder={{ folder }} pwd=$(pwd)"',
        'echo oops >&2',
        'exit 7',
      ].join('\n'),
      scope: 'web',
      context: {
        PORT: '8080',
        nginx: { conf: { WORKERS: '4' } },
        db: [
          { PORT: '5432', address: { private: '10.0.1.1' } },
          { PORT: '5433', address: { private: '10.0.1.2' } },
        ],
      },
      env: { PORT: '8080' },
    });
    cp.send(msg);
    const result = await cp.waitForResult(msg.executionId);
    const folder = join(workdir, 'i-test01');
    expect(cp.linesOf(msg.executionId, 'stdout')).toEqual([
      'port=8080 db=5432 first=10.0.1.1 child=4',
      'bound 10.0.1.1',
      'bound 10.0.1.2',
      `env PORT=8080 scope=web id=i-test01 path=${folder}`,
      `folder=${folder} pwd=${folder}`,
    ]);
    expect(cp.linesOf(msg.executionId, 'stderr')).toEqual(['oops']);
    const seqs = cp.recordsOf(msg.executionId).map((r) => r.seq);
    expect(seqs).toEqual([1, 2, 3, 4, 5, 6]);
    expect(result).toMatchObject({ status: 'failed', exitCode: 7, truncated: false, outputLines: 6, lastSeq: 6 });
    // result_ack received: the spool forgot the execution
    await cp.waitFor(() => !existsSync(join(spoolDir, 'exec', msg.executionId)), 5000, 'spool cleanup');
  });

  it('masks secrets in everything it sends', async () => {
    await startAgent();
    const secret = 'S3cr3t-Pa55&word';
    const msg = executeMessage({
      template: [
        `echo "raw {{ PASSWORD }}"`,
        `printf '%s' "$PASSWORD" | base64`,
        `python3 -c 'import urllib.parse,sys; print(urllib.parse.quote(sys.argv[1], safe=""))' "$PASSWORD"`,
        `echo '{"password": {{ PASSWORD | dump }}}'`,
        `set -x; true "$PASSWORD"`,
      ].join('\n'),
      context: { PASSWORD: secret },
      env: { PASSWORD: secret },
      secrets: [secret],
    });
    cp.send(msg);
    await cp.waitForResult(msg.executionId);
    const frames = JSON.stringify(cp.received.filter((m) => 'executionId' in m && m.executionId === msg.executionId));
    expect(frames).not.toContain('S3cr3t');
    expect(frames).not.toContain(Buffer.from(secret).toString('base64'));
    expect(cp.linesOf(msg.executionId)).toEqual(['raw ***', '***', '***', '{"password": "***"}', "+ true '***'"]);
  });

  it('never runs an execution id twice', async () => {
    await startAgent();
    const msg = executeMessage({
      template: 'echo run >> "$ELASTICBOX_PATH/runs"; echo started; sleep 0.3; echo finished',
    });
    cp.send(msg);
    await cp.waitFor(() => cp.linesOf(msg.executionId).length, 5000, 'first output');
    cp.send(msg); // while running
    await cp.waitForResult(msg.executionId);
    cp.send(msg); // after the result was acknowledged and forgotten
    await cp.waitFor(
      () => cp.received.filter((m) => m.type === 'rejected' && m.executionId === msg.executionId).length === 2,
      5000,
      'two rejections',
    );
    expect(
      cp.received.filter((m) => m.type === 'rejected').every((m) => 'reason' in m && m.reason === 'duplicate'),
    ).toBe(true);
    expect(readFileSync(join(workdir, 'i-test01', 'runs'), 'utf8')).toBe('run\n');
    // Copies re-sent on a duplicate execute are allowed (the server dedupes by executionId); all are identical.
    expect(new Set(cp.resultsOf(msg.executionId).map((r) => JSON.stringify(r))).size).toBe(1);
  });

  it('loses and duplicates nothing when the connection drops mid-script', async () => {
    await startAgent();
    const connections = cp.connections;
    const msg = executeMessage({ template: 'for i in $(seq 1 80); do echo "line $i"; sleep 0.01; done; echo bye >&2' });
    let dropped = 0;
    cp.tap((m) => {
      // Cut the socket twice while lines are flowing: the agent reconnects and re-sends from its spool.
      if (m.type === 'output' && (m.seq === 15 || m.seq === 50) && dropped < 2) {
        dropped++;
        cp.drop();
      }
    });
    cp.send(msg);
    const result = await cp.waitForResult(msg.executionId, 20_000);
    expect(dropped).toBe(2);
    expect(cp.connections).toBeGreaterThanOrEqual(connections + 2);
    const records = cp.recordsOf(msg.executionId);
    expect(records.map((r) => r.seq)).toEqual(Array.from({ length: 81 }, (_, i) => i + 1));
    expect(cp.linesOf(msg.executionId, 'stdout')).toEqual(Array.from({ length: 80 }, (_, i) => `line ${i + 1}`));
    expect(result).toMatchObject({ status: 'success', lastSeq: 81, outputLines: 81 });
    expect(new Set(cp.resultsOf(msg.executionId).map((r) => JSON.stringify(r))).size).toBe(1);
  });

  it('runs the elasticbox helper from inside a script: set, config, notify', async () => {
    await startAgent();
    const operationId = 'op-helper';
    const first = executeMessage({
      operationId,
      scope: 'web',
      template: [
        'set -e',
        'elasticbox set PORT 9090',
        'elasticbox set nginx.WORKERS 8',
        'printf "%s" "from-stdin" | elasticbox set NOTE',
        // {% raw %} keeps these lines for `elasticbox config`, not for the script's own rendering.
        `echo '{% raw %}port={{ PORT }}/\${PORT}/\${nginx.WORKERS}{% endraw %}' | elasticbox config`,
        `echo '{% raw %}jinja only \${PORT} {{ PORT }}{% endraw %}' | elasticbox config -t jinja`,
        `printf '{% raw %}listen {{ PORT }};\\nworkers \${nginx.WORKERS};\\n{% endraw %}' > app.tmpl`,
        'elasticbox config -i app.tmpl -o app.conf',
        'cat app.conf',
        'elasticbox notify',
        'elasticbox set bad..name x || echo "refused bad name"',
      ].join('\n'),
      context: { PORT: '8080', nginx: { WORKERS: '2' } },
      env: { PORT: '8080' },
    });
    cp.send(first);
    const result = await cp.waitForResult(first.executionId, 20_000);
    expect(result.status).toBe('success');
    const records = cp.recordsOf(first.executionId);
    const sets = records.filter((r): r is SetVariableMessage => r.type === 'set_variable');
    expect(sets.map(({ name, value, scope }) => ({ name, value, scope }))).toEqual([
      { name: 'PORT', value: '9090', scope: 'web' },
      { name: 'WORKERS', value: '8', scope: 'web.nginx' },
      { name: 'NOTE', value: 'from-stdin', scope: 'web' },
    ]);
    expect(records.filter((r) => r.type === 'notify')).toHaveLength(1);
    expect(cp.linesOf(first.executionId, 'stdout')).toEqual([
      'port=9090/9090/8',
      'jinja only ${PORT} 9090',
      'listen 9090;',
      'workers 8;',
      'refused bad name',
    ]);
    expect(records.map((r) => r.seq)).toEqual(records.map((_, i) => i + 1));

    // A later script of the same operation sees the values, in its context and environment.
    const second = executeMessage({
      operationId,
      scope: 'web',
      template: 'echo "{{ PORT }} $PORT {{ nginx.WORKERS }} {{ NOTE }}"',
      context: { PORT: '8080', nginx: { WORKERS: '2' } },
      env: { PORT: '8080' },
    });
    cp.send(second);
    await cp.waitForResult(second.executionId);
    expect(cp.linesOf(second.executionId)).toEqual(['9090 9090 8 from-stdin']);
  });

  it('kills a script on timeout and on cancel', async () => {
    await startAgent();
    const timed = executeMessage({ template: 'sleep 751.25 & sleep 752.25', timeoutSeconds: 1 });
    const cancelled = executeMessage({ template: 'echo waiting; sleep 753.25' });
    cp.send(timed);
    cp.send(cancelled);
    await cp.waitFor(() => cp.linesOf(cancelled.executionId).length, 5000, 'output');
    cp.send({ type: 'cancel', executionId: cancelled.executionId });
    expect(await cp.waitForResult(cancelled.executionId)).toMatchObject({ status: 'killed' });
    expect(await cp.waitForResult(timed.executionId)).toMatchObject({ status: 'timeout' });
  });

  it('treats a server silent for 2P + 5 s as dead, reconnects and delivers what the script printed meanwhile', async () => {
    await startAgent();
    const hellos = cp.hellos().length;
    const msg = executeMessage({ template: 'echo before; sleep 1; echo during; echo done' });
    cp.send(msg);
    await cp.waitFor(() => cp.linesOf(msg.executionId).length, 5000, 'first line');
    const silencedAt = Date.now();
    cp.silence();
    await cp.waitForHello(hellos + 1);
    const detectedAfter = Date.now() - silencedAt;
    expect(detectedAfter).toBeGreaterThanOrEqual(2 * P + 5000 - 100);
    expect(detectedAfter).toBeLessThan(2 * P + 5000 + 3000);
    await cp.waitForResult(msg.executionId);
    expect(cp.linesOf(msg.executionId)).toEqual(['before', 'during', 'done']);
  });

  it('answers an invalid execute with rejected and keeps the connection', async () => {
    await startAgent();
    const connections = cp.connections;
    cp.send({ ...executeMessage({ executionId: 'bad-exec' }), timeoutSeconds: -1 });
    const rejected = await cp.waitFor(() =>
      cp.received.find((m) => m.type === 'rejected' && m.executionId === 'bad-exec'),
    );
    expect(rejected).toMatchObject({ reason: 'invalid', message: 'invalid execute message at /timeoutSeconds' });
    expect(cp.connections).toBe(connections);
  });

  it('reports a template error as a failed result, with secrets masked in the message', async () => {
    await startAgent();
    const msg = executeMessage({
      template: 'echo ok\n{{ "hunter2-secret" | nosuchfilter }}',
      secrets: ['hunter2-secret'],
    });
    cp.send(msg);
    const result = await cp.waitForResult(msg.executionId);
    expect(result).toMatchObject({ status: 'failed', exitCode: null, lastSeq: 0 });
    expect(result.message).toMatch(/^template error in [^ ]+\/events\/\w+ line 2: filter not found: nosuchfilter/);
    expect(result.message).not.toContain('hunter2');
  });

  it('puts the helper socket in a private temp dir when the spool path is too long for a unix socket', async () => {
    const dir = join(tempDir(), 'x'.repeat(120));
    const handle = await runAgent({
      url: cp.url,
      token: TOKEN,
      caFile: cp.caFile,
      workdir: join(dir, 'work'),
      spoolDir: join(dir, 'spool'),
      machine: 'long-path',
      pingIntervalMs: P,
    });
    expect(handle.socketPath.startsWith(tmpdir())).toBe(true);
    expect(handle.socketPath.length).toBeLessThan(100);
    await handle.stop();
    expect(existsSync(dirname(handle.socketPath))).toBe(false);
  });

  it('keeps retrying with backoff when the control plane refuses its token', async () => {
    const refused = cp.refusedUpgrades.length;
    const handle = await startAgent('wrong-token');
    await cp.waitFor(() => cp.refusedUpgrades.length >= refused + 3, 5000, 'retries');
    expect(handle.connected).toBe(false);
  });
});
