import { html } from '../html.js';

/** An alert as `GET /services/msa/alerts` serves it (src/server/monitoring/alerts-store.ts). */
export interface AlertDoc {
  id: string;
  owner: string;
  instance: string;
  machine: string;
  check: string;
  state: 'open' | 'resolved';
  severity: string;
  occurrences: number;
  flapping: boolean;
  silenced: boolean;
  message: string;
  acknowledged: boolean;
  acknowledged_by?: string;
  opened: string;
  resolved?: string;
  updated: string;
}

/** A (machine, check) state as `GET /services/msa/results` serves it. */
export interface CheckState {
  machine: string;
  check: string;
  check_id: string;
  status: string;
  occurrences: number;
  flapping: boolean;
  output: string;
  executed: string | null;
  silenced_until?: string;
  updated: string;
}

/** Event types that change what the alerts list shows (src/server/events/log.ts). */
export const ALERT_EVENTS = ['alert.open', 'alert.update', 'alert.resolve', 'alert.ack', 'alert.silence'];

/** A check status or alert severity (ok, warning, critical, unknown) as a badge: a word, never colour alone. */
export function StatusBadge(props: { status: string }) {
  return html`<span class=${`badge status-${props.status}`}>${props.status}</span>`;
}
