import { html } from '../html.js';

/** The MSA documents, one source with the server's and the CLI's. */
export type { AlertDoc, CheckStateDoc as CheckState } from '../../shared/monitoring/msa-docs.js';

/** Event types that change what the alerts list shows (src/server/events/log.ts). */
export const ALERT_EVENTS = ['alert.open', 'alert.update', 'alert.resolve', 'alert.ack', 'alert.silence'];

/** A check status or alert severity (ok, warning, critical, unknown) as a badge: a word, never colour alone. */
export function StatusBadge(props: { status: string }) {
  return html`<span class=${`badge status-${props.status}`}>${props.status}</span>`;
}
