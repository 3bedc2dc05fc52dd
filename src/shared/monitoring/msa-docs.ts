/**
 * The MSA API's alert and check-state documents as the server serves them
 * (src/server/monitoring/alerts-store.ts builds them with these types), read by the CLI's client
 * and the console: one source for the shape.
 */

/** `GET /services/msa/alerts`, `…/alerts/{id}/ack`, `…/silence`. */
export interface AlertDoc {
  id: string;
  uri: string;
  owner: string;
  instance: string;
  machine: string;
  check: string;
  check_id: string;
  state: 'open' | 'resolved';
  severity: string;
  occurrences: number;
  flapping: boolean;
  silenced: boolean;
  message: string;
  acknowledged: boolean;
  acknowledged_by?: string;
  acknowledged_at?: string | null;
  opened: string;
  resolved?: string;
  updated: string;
  /** Only in the answer to a silence. */
  silenced_until?: string;
}

/** A (machine, check) state: `GET /services/msa/results`. */
export interface CheckStateDoc {
  machine: string;
  instance: string;
  check: string;
  check_id: string;
  status: string;
  occurrences: number;
  flapping: boolean;
  output: string;
  executed: string;
  silenced_until?: string;
  silenced_by?: string | null;
  updated: string;
}
