/** Rows of the monitoring tables (migration 0005-monitoring). */
export interface ChecksTable {
  id: string;
  workspace: string;
  name: string;
  version: number;
  doc: string;
  created: string;
  updated: string;
}

export interface CheckVersionsTable {
  check_id: string;
  version: number;
  doc: string;
  created: string;
}

export interface CheckStatesTable {
  machine: string;
  check_id: string;
  workspace: string;
  instance_id: string;
  status: number;
  occurrences: number;
  history: string;
  flapping: number;
  output: string;
  executed: string;
  silenced_until: string | null;
  silenced_by: string | null;
  updated: string;
}

export interface AlertsTable {
  id: string;
  workspace: string;
  machine: string;
  instance_id: string;
  check_id: string;
  check_name: string;
  state: 'open' | 'resolved';
  severity: number;
  occurrences: number;
  flapping: number;
  silenced: number;
  output: string;
  acked_by: string | null;
  acked_at: string | null;
  opened: string;
  resolved: string | null;
  updated: string;
}

export interface MetricSamplesTable {
  machine: string;
  metric: string;
  ts: number;
  value: number;
}

export interface MetricRollupsTable {
  machine: string;
  metric: string;
  bucket: number;
  count: number;
  sum: number;
  min: number;
  max: number;
  last: number;
  p95: number;
}

export interface WatchersTable {
  username: string;
  machine: string;
  instance_id: string;
  workspace: string;
  password_hash: string;
  public_key: string;
  last_seq: number;
  last_result: number;
  accepted: number;
  rejected: number;
  emitted: number;
  dropped: number;
  last_seen: number | null;
  revoked: number;
  created: string;
}

export interface MonitoringTables {
  watchers: WatchersTable;
  checks: ChecksTable;
  check_versions: CheckVersionsTable;
  check_states: CheckStatesTable;
  alerts: AlertsTable;
  metric_samples: MetricSamplesTable;
  metric_minute: MetricRollupsTable;
  metric_hour: MetricRollupsTable;
  monitoring_marks: { key: string; value: number };
}
