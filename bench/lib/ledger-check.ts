/**
 * The checker of quality.md A4 (item 1) for deploy campaigns: judges a ledger (ledger.ts) against
 * the store's rows and the agents' own count of script runs, after the fault healed and the system
 * quiesced. Every problem found is one line of `problems`; a campaign passes with none.
 *
 * - NL-1: every deploy answered 202 has its instance; every workflow of it ended; none is left open.
 * - NL-2: a deploy whose answer was lost (`info`) created at most one instance (looked up by its
 *   unique name, the business key); a deploy the server refused created none, and no refusal
 *   was a 500 (F3: a store outage is answered 503 with Retry-After).
 * - Exact results: every accepted deploy ended `done`; its workflow has exactly one `ok` step
 *   result per step of its plan; every script execution stored `success`, exit code 0.
 * - NL-3: every script execution ran exactly once on the agents (`runs`: execution id → how many
 *   times a script body started, counted by the agent side), and no script ran that the store does
 *   not know of.
 */
import type { Db } from '../../src/server/store/db.js';
import type { Ledger } from './ledger.js';

export interface CheckReport {
  /** Deploys the server accepted (answered 202, or found after a lost answer). */
  accepted: number;
  refused: number;
  /** Lost answers (`info`) and whether each turned out accepted. */
  unknown: { total: number; accepted: number };
  workflows: number;
  steps: number;
  executions: number;
  scriptRuns: number;
  problems: string[];
}

const TERMINAL = new Set(['done', 'failed', 'cancelled']);

export async function checkDeploys(db: Db, ledger: Ledger, runs: Map<string, number>): Promise<CheckReport> {
  const problems: string[] = [];
  const report: CheckReport = {
    accepted: 0,
    refused: 0,
    unknown: { total: 0, accepted: 0 },
    workflows: 0,
    steps: 0,
    executions: 0,
    scriptRuns: [...runs.values()].reduce((a, b) => a + b, 0),
    problems,
  };
  const instances = await db.selectFrom('instances').select(['id', 'name', 'state']).execute();
  const byName = new Map<string, { id: string; state: string }[]>();
  for (const i of instances) byName.set(i.name, [...(byName.get(i.name) ?? []), i]);
  const workflows = await db.selectFrom('workflows').selectAll().execute();
  const stepRows = await db.selectFrom('step_results').select(['workflow_id', 'step', 'outcome']).execute();
  const executions = await db.selectFrom('executions').select(['id', 'workflow_id', 'status', 'exit_code']).execute();
  const wfOf = new Map<string, typeof workflows>();
  for (const w of workflows) wfOf.set(w.instance_id, [...(wfOf.get(w.instance_id) ?? []), w]);
  const stepsOf = new Map<string, number[]>();
  for (const s of stepRows) {
    stepsOf.set(s.workflow_id, [...(stepsOf.get(s.workflow_id) ?? []), s.step]);
    if (s.outcome !== 'ok') problems.push(`workflow ${s.workflow_id} step ${s.step}: outcome ${s.outcome}`);
  }
  const execOf = new Map<string, typeof executions>();
  for (const e of executions) execOf.set(e.workflow_id, [...(execOf.get(e.workflow_id) ?? []), e]);

  // F3: while the store is out of reach the API answers 503 with Retry-After, never 500.
  for (const r of ledger.records)
    if (r.op === 'deploy' && r.type === 'fail' && r.error?.startsWith('500 '))
      problems.push(`deploy ${r.key} answered ${r.error}`);
  for (const w of workflows) if (!TERMINAL.has(w.state)) problems.push(`NL-1: workflow ${w.id} still ${w.state}`);

  for (const [key, outcome] of ledger.outcomes('deploy')) {
    const found = byName.get(key) ?? [];
    if (outcome.type === 'fail') {
      report.refused++;
      if (found.length)
        problems.push(`deploy ${key} was refused (${outcome.error}) but created ${found.length} instance(s)`);
      continue;
    }
    if (outcome.type !== 'ok') {
      report.unknown.total++;
      if (found.length === 0) continue;
      report.unknown.accepted++;
    }
    if (found.length !== 1) {
      problems.push(`NL-${outcome.type === 'ok' ? 1 : 2}: deploy ${key} has ${found.length} instances`);
      if (!found.length) continue;
    }
    const instance = found[0]!;
    if (outcome.type === 'ok' && outcome.id !== instance.id)
      problems.push(`deploy ${key}: answered ${outcome.id}, stored ${instance.id}`);
    report.accepted++;
    if (instance.state !== 'done') problems.push(`deploy ${key} (${instance.id}) ended ${instance.state}`);
    const wfs = wfOf.get(instance.id) ?? [];
    if (wfs.length !== 1) problems.push(`deploy ${key} has ${wfs.length} workflows`);
    for (const w of wfs) {
      report.workflows++;
      if (w.state !== 'done') problems.push(`workflow ${w.id} of ${key} ended ${w.state}: ${w.error ?? ''}`);
      const plan = JSON.parse(w.plan) as { kind: string }[];
      const steps = (stepsOf.get(w.id) ?? []).sort((a, b) => a - b);
      report.steps += steps.length;
      const expected = plan.map((_, i) => i).join();
      if (steps.join() !== expected)
        problems.push(`workflow ${w.id} of ${key}: step results [${steps.join()}], plan has ${plan.length} steps`);
      const scripts = plan.filter((s) => s.kind === 'script').length;
      const execs = execOf.get(w.id) ?? [];
      report.executions += execs.length;
      if (execs.length !== scripts)
        problems.push(`workflow ${w.id} of ${key}: ${execs.length} executions, ${scripts} scripts`);
      for (const e of execs) {
        if (e.status !== 'success' || e.exit_code !== 0)
          problems.push(`execution ${e.id} of ${key}: ${e.status} exit ${e.exit_code}`);
        const ran = runs.get(e.id) ?? 0;
        if (ran !== 1) problems.push(`NL-3: execution ${e.id} of ${key} ran ${ran} times on its agent`);
      }
    }
  }
  const known = new Set(executions.map((e) => e.id));
  for (const [id, n] of runs)
    if (!known.has(id)) problems.push(`NL-3: agents ran ${id} ${n} times; the store has no such execution`);
  return report;
}
