/** What several benches share: a stored instance document, and one timed CLI run. */
import { spawn } from 'node:child_process';
import type { InstanceDoc } from '../../src/server/instances/store.js';
import { newInstanceId } from '../../src/shared/ids.js';
import { timestamp } from '../../src/shared/time.js';

/** A finished instance `bench-<i>` of `owner`, tagged `bench` and `n<i mod 10>`, for list-sized fixtures. */
export function benchInstanceDoc(i: number, owner = 'admin'): InstanceDoc {
  const now = timestamp();
  const id = newInstanceId();
  return {
    id,
    uri: `/services/instances/${id}`,
    schema: 'http://elasticbox.net/schemas/instance',
    name: `bench-${i}`,
    owner,
    box: '00000000-0000-4000-8000-000000000000',
    state: 'done',
    operation: { event: 'deploy', workspace: owner, created: now },
    tags: ['bench', `n${i % 10}`],
    variables: [],
    bindings: [],
    members: [],
    service: { type: 'Linux Compute', id: 'eb-bench', machines: [] },
    automatic_updates: 'off',
    created: now,
    updated: now,
    deleted: null,
  };
}

/** Runs `node ARGS` to its exit; resolves with the wall time in ms and stdout, rejects on a non-zero exit. */
export function timedRun(args: string[], env: NodeJS.ProcessEnv): Promise<{ ms: number; out: string }> {
  return new Promise((resolve, reject) => {
    const start = process.hrtime.bigint();
    const child = spawn(process.execPath, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (err += d));
    child.on('exit', (code) => {
      const ms = Number(process.hrtime.bigint() - start) / 1e6;
      if (code !== 0) reject(new Error(`${args.join(' ')} exited ${code}: ${err}`));
      else resolve({ ms, out });
    });
  });
}
