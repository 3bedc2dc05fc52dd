import { chmodSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { MACHINE_MARKER, machineEnv } from '../../src/server/providers/local.js';
import {
  coverRoot,
  hostSandboxCommand,
  isolationMode,
  sandboxCommand,
} from '../../src/server/providers/machine-sandbox.js';

const dirs: string[] = [];
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

describe('a local machine environment', () => {
  it('is built from scratch: nothing of the server environment but LANG and TZ', () => {
    const server = {
      PATH: '/home/admin/bin:/usr/bin',
      LANG: 'de_DE.UTF-8',
      TZ: 'Europe/Berlin',
      EBCLI_TOKEN: 'x',
      AWS_SECRET_ACCESS_KEY: 'y',
      HOME: '/root',
    };
    const env = machineEnv('/data/machines/m', '/data/machines/m/home', server);
    expect(Object.keys(env).sort()).toEqual(['HOME', 'LANG', 'PATH', 'TZ', MACHINE_MARKER].sort());
    expect(env).toMatchObject({ HOME: '/data/machines/m/home', LANG: 'de_DE.UTF-8', TZ: 'Europe/Berlin' });
    expect(env.PATH).not.toContain('/home/admin/bin');
    expect(machineEnv('/r', '/r/home', {}).LANG).toBe('C.UTF-8');
  });
});

describe('the machine sandbox', () => {
  it('covers the data directory, or as root its highest ancestor other users cannot enter', () => {
    const top = mkdtempSync(join(tmpdir(), 'ebcli-cover-'));
    dirs.push(top);
    const data = join(top, 'a', 'data');
    mkdirSync(data, { recursive: true, mode: 0o755 });
    chmodSync(top, 0o700);
    expect(coverRoot(data, 'userns')).toBe(data);
    expect(coverRoot(data, 'root')).toBe(top);
    chmodSync(top, 0o755);
    chmodSync(join(top, 'a'), 0o755);
    expect(coverRoot(data, 'root')).toBe(data);
  });

  it('keeps the agent flags as separate arguments and drops every capability before the agent', () => {
    const { command, args } = sandboxCommand({
      mode: 'root',
      cover: '/d',
      writable: "/d/machines/it's",
      readOnly: [{ path: '/d/agent', file: false }],
      user: { uid: 999, gid: 995 },
      program: ['/usr/bin/node', '/d/agent/agent.mjs', '--spool-dir', "/d/machines/it's/spool"],
    });
    expect(command).toBe('unshare');
    expect(args.slice(0, args.indexOf('--'))).toEqual(
      expect.arrayContaining(['--mount', '--pid', '--fork', '--mount-proc']),
    );
    expect(args).not.toContain('--user');
    expect(args.slice(-4)).toEqual(['/usr/bin/node', '/d/agent/agent.mjs', '--spool-dir', "/d/machines/it's/spool"]);
    const script = args[args.indexOf('-c') + 1]!;
    expect(script).toContain("mount -t tmpfs -o mode=0755,size=1m,nosuid,nodev ebcli-sandbox '/d'");
    expect(script).toContain(`'/d/machines/it'\\''s'`);
    expect(script).toMatch(/mount -o remount,bind,ro,nosuid,nodev '\/d\/agent'/);
    expect(script).toMatch(
      /setpriv' '--reuid=999' '--regid=995' '--clear-groups' '--pdeathsig' 'SIGKILL' '--no-new-privs' '--bounding-set=-all'/,
    );
  });

  it('fails closed with a clear error when the host refuses the namespaces, unless turned off', () => {
    const missing = join(tmpdir(), `ebcli-missing-${process.pid}`, 'data');
    expect(() => isolationMode(missing, undefined)).toThrow(
      /need Linux mount and PID namespaces.*EBCLI_LOCAL_ISOLATION=off/s,
    );
    expect(isolationMode(missing, 'off')).toBe('off');
  });
});

describe('the host agent sandbox', () => {
  it('covers the data directory except machines/, its own folder and the agent program, and keeps its capabilities in a user namespace', () => {
    const spec = {
      cover: '/d',
      writable: ['/d/machines', '/d/host-agent'],
      readOnly: [{ path: '/d/agent', file: false }],
      program: ['/usr/bin/node', '/d/agent/host-agent.mjs', '--control', '/d/host-agent/control.sock'],
    };
    const userns = hostSandboxCommand({ ...spec, mode: 'userns' });
    expect(userns.args.slice(0, userns.args.indexOf('--'))).toEqual([
      '--user',
      '--map-root-user',
      '--mount',
      '--propagation',
      'private',
    ]);
    const script = userns.args[userns.args.indexOf('-c') + 1]!;
    expect(script).toContain("mount -t tmpfs -o mode=0755,size=1m,nosuid,nodev ebcli-sandbox '/d'");
    for (const path of ['/d/machines', '/d/host-agent', '/d/agent']) expect(script).toContain(`mkdir -p '${path}'`);
    expect(script).toMatch(/mount -o remount,bind,ro,nosuid,nodev '\/d\/agent'/);
    expect(script).not.toMatch(/remount,bind,ro,nosuid,nodev '\/d\/machines'/);
    expect(script).not.toContain('bounding-set');
    expect(userns.args.slice(-4)).toEqual(spec.program);

    // As root: mounts first (as root), then the machine user in a user namespace of its own.
    const root = hostSandboxCommand({ ...spec, mode: 'root', user: { uid: 999, gid: 995 } });
    expect(root.args).not.toContain('--user');
    const rootScript = root.args[root.args.indexOf('-c') + 1]!;
    expect(rootScript).toMatch(
      /exec 'setpriv' '--reuid=999' '--regid=995' '--clear-groups' '--' unshare --user --map-root-user -- "\$@"$/,
    );
  });
});
