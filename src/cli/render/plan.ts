import type { PlannedInstance } from '../apply-plan.js';
import type { ChangeReason } from '../../shared/instance-change.js';

const WHAT: Record<ChangeReason['kind'], string> = { script: 'script', variable: 'variable', file: 'file variable' };

/** `script Hello:install changed → reinstall`; a change that runs nothing now says when it will. */
export function reasonLine(r: ChangeReason): string {
  const effect = r.requires === 'none' ? 'runs at its next event, nothing now' : `→ ${r.requires}`;
  return `${WHAT[r.kind]} ${r.name} ${r.change} ${effect}`;
}

/** The plan of one instance as indented lines: action, operation, reasons, scripts in run order. */
export function planLines(p: PlannedInstance): string[] {
  const who = p.id ? `${p.name} (${p.id})` : p.name;
  const lines: string[] = [];
  if (p.busy) lines.push(`  ${p.name}: ${p.busy} in progress: waited for before acting`);
  if (p.action === 'blocked') return [...lines, `! ${who}: blocked: ${p.problem}`];
  if (p.action === 'unchanged') return [...lines, `= ${who}: unchanged`];
  const head =
    p.action === 'create'
      ? `+ ${who}: create from ${p.boxName} (${p.box})`
      : `~ ${who}: update${p.pull ? ` to ${p.boxName} ${p.box}` : ''}`;
  lines.push(head);
  for (const r of p.reasons) lines.push(`    ${reasonLine(r)}`);
  if (p.variables && !p.reasons.some((r) => r.kind !== 'script'))
    lines.push('    variable overrides change (no value the scripts see changes)');
  if (p.tags?.add.length) lines.push(`    tags added: ${p.tags.add.join(', ')}`);
  if (p.tags?.remove.length) lines.push(`    tags removed: ${p.tags.remove.join(', ')}`);
  const op = p.operation === 'none' ? 'no scripts run' : `${p.operation} runs ${p.scripts.length} script(s)`;
  lines.push(`    ${op}${p.scripts.length ? `: ${p.scripts.join(', ')}` : ''}`);
  return lines;
}

/** The whole plan and a summary line (`Plan: 1 to create, 2 to update, 3 unchanged.`). */
export function renderPlan(plans: PlannedInstance[]): string {
  const n = (a: PlannedInstance['action']) => plans.filter((p) => p.action === a).length;
  const blocked = n('blocked') ? `, ${n('blocked')} blocked` : '';
  const summary = `Plan: ${n('create')} to create, ${n('update')} to update, ${n('unchanged')} unchanged${blocked}.`;
  return [...plans.flatMap(planLines), summary].join('\n') + '\n';
}
