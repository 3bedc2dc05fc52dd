import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { workdir, type Api } from './helpers.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Polls `check` until it holds (a positive signal), failing with `what` after `timeoutMs`. */
export async function until(what: string, check: () => Promise<boolean>, timeoutMs = 40_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check()) return;
    await sleep(50);
  }
  throw new Error(`${what}: not within ${timeoutMs} ms`);
}

/** Lines the instance's scripts appended to `runs.log` in their working directory (each run once). */
export function runsOf(dataDir: string, machine: string, instance: string): string[] {
  try {
    return readFileSync(join(workdir(dataDir, machine, instance), 'runs.log'), 'utf8')
      .trim()
      .split('\n')
      .filter(Boolean);
  } catch {
    return [];
  }
}

/** The instance's machine as the server sees it: agent pid and whether its agent is connected. */
export async function agentOf(t: Api, id: string): Promise<{ name: string; pid: number; connected: boolean }> {
  const m = (await t.call('GET', `/services/instances/${id}/service`)).body.machines[0];
  return { name: m.name, pid: Number(m.external_id), connected: m.agent_connected === true };
}
