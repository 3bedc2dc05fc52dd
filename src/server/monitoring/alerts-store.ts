import type { Db } from '../store/db.js';
import type { AlertsTable, CheckStatesTable } from './tables.js';
import { statusName } from '../../shared/monitoring/status.js';
import type { AlertDoc, CheckStateDoc } from '../../shared/monitoring/msa-docs.js';

/** An alert as the MSA API serves it. */
export function serveAlert(a: AlertsTable): AlertDoc {
  return {
    id: a.id,
    uri: `/services/msa/alerts/${a.id}`,
    owner: a.workspace,
    instance: a.instance_id,
    machine: a.machine,
    check: a.check_name,
    check_id: a.check_id,
    state: a.state,
    severity: statusName(a.severity),
    occurrences: a.occurrences,
    flapping: a.flapping === 1,
    silenced: a.silenced === 1,
    message: a.output,
    acknowledged: a.acked_by !== null,
    ...(a.acked_by ? { acknowledged_by: a.acked_by, acknowledged_at: a.acked_at } : {}),
    opened: a.opened,
    ...(a.resolved ? { resolved: a.resolved } : {}),
    updated: a.updated,
  };
}

/** A (machine, check) state as the MSA API serves it. */
export function serveState(s: CheckStatesTable, checkName: string | undefined): CheckStateDoc {
  return {
    machine: s.machine,
    instance: s.instance_id,
    check: checkName ?? s.check_id,
    check_id: s.check_id,
    status: statusName(s.status),
    occurrences: s.occurrences,
    flapping: s.flapping === 1,
    output: s.output,
    executed: s.executed,
    ...(s.silenced_until ? { silenced_until: s.silenced_until, silenced_by: s.silenced_by } : {}),
    updated: s.updated,
  };
}

export interface AlertFilter {
  workspaces: string[];
  instance?: string;
  state: 'open' | 'resolved' | 'all';
  severity?: number;
}

export async function listAlerts(db: Db, f: AlertFilter): Promise<AlertsTable[]> {
  if (!f.workspaces.length) return [];
  let q = db.selectFrom('alerts').selectAll().where('workspace', 'in', f.workspaces);
  if (f.instance) q = q.where('instance_id', '=', f.instance);
  if (f.state !== 'all') q = q.where('state', '=', f.state);
  if (f.severity !== undefined) q = q.where('severity', '=', f.severity);
  return q.orderBy('opened', 'desc').limit(1000).execute();
}

export async function getAlert(db: Db, id: string): Promise<AlertsTable | undefined> {
  return db.selectFrom('alerts').selectAll().where('id', '=', id).executeTakeFirst();
}
