import type { AlertDoc as Alert, CheckStateDoc as CheckState } from '../../shared/monitoring/msa-docs.js';
import { Resource, servicePath } from './base.js';

/** A check definition as the MSA API serves it (src/shared/monitoring/checks.ts). */
export interface Check {
  id: string;
  name: string;
  owner: string;
  version: number;
  command?: string;
  builtin?: { type: string; params?: Record<string, string | number> };
  interval: number;
  timeout?: number;
  thresholds?: { warning?: number; critical?: number };
  output_metric_format?: string;
  target?: { tags?: string[]; box?: string };
  created: string;
  updated: string;
  [key: string]: unknown;
}

/** The MSA documents, one source with the server's (src/shared/monitoring/msa-docs.ts). */
export type { Alert, CheckState };

export interface MetricSeries {
  machine: string;
  metric: string;
  points: { ts: number; value: number }[];
}

export interface MetricsReply {
  instance: string;
  from: number;
  to: number;
  step: number;
  aggregate: string;
  metrics: string[];
  series: MetricSeries[];
}

export interface MetricsQuery {
  instance: string;
  metric?: string;
  since?: string;
  step?: string;
  aggregate?: string;
}

export interface AlertsQuery {
  workspace?: string;
  instance?: string;
  state?: 'open' | 'resolved' | 'all';
  severity?: string;
}

/** The MSA API (`/services/msa/`): checks, results, metrics, alerts. */
export class Msa extends Resource {
  checks(workspace?: string): Promise<Check[]> {
    return this.get(servicePath('msa', 'checks'), { query: { workspace } });
  }

  check(ref: string): Promise<Check> {
    return this.get(servicePath('msa', 'checks', ref));
  }

  createCheck(body: Record<string, unknown>): Promise<Check> {
    return this.send('POST', servicePath('msa', 'checks'), { body });
  }

  deleteCheck(ref: string): Promise<void> {
    return this.send('DELETE', servicePath('msa', 'checks', ref));
  }

  /** Asks the instance's Watchers to run its checks (or one) now. */
  run(instance: string, check?: string): Promise<{ instance: string; machines: string[]; checks: string[] }> {
    return this.send('POST', servicePath('msa', 'run'), { body: { instance, ...(check ? { check } : {}) } });
  }

  results(instance: string): Promise<CheckState[]> {
    return this.get(servicePath('msa', 'results'), { query: { instance } });
  }

  metrics(q: MetricsQuery): Promise<MetricsReply> {
    return this.get(servicePath('msa', 'metrics'), { query: { ...q } });
  }

  alerts(q: AlertsQuery = {}): Promise<Alert[]> {
    return this.get(servicePath('msa', 'alerts'), { query: { ...q } });
  }

  ack(id: string): Promise<Alert> {
    return this.send('PUT', servicePath('msa', 'alerts', id, 'ack'));
  }

  silence(id: string, duration: string, reason?: string): Promise<Alert> {
    return this.send('PUT', servicePath('msa', 'alerts', id, 'silence'), {
      body: { duration, ...(reason ? { reason } : {}) },
    });
  }
}
