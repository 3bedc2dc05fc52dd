/**
 * The MSA API's documents as the server serves them (src/server/monitoring builds them with these
 * types and declares them as its response schemas), read by the CLI's client and the console with
 * `import type`: one source for the shape.
 */
import { Type, type Static } from '@sinclair/typebox';
import { Closed, DocHead, NullableInteger, NullableString, Timestamp } from '../documents/common.js';
import { CheckSpec } from './checks.js';

/** `GET /services/msa/alerts`, `…/alerts/{id}/ack`, `…/silence`. */
export const AlertDocSchema = Closed({
  id: Type.String(),
  uri: Type.String(),
  owner: Type.String(),
  instance: Type.String(),
  machine: Type.String(),
  check: Type.String(),
  check_id: Type.String(),
  state: Type.Union([Type.Literal('open'), Type.Literal('resolved')]),
  severity: Type.String(),
  occurrences: Type.Integer(),
  flapping: Type.Boolean(),
  silenced: Type.Boolean(),
  message: Type.String(),
  acknowledged: Type.Boolean(),
  acknowledged_by: Type.Optional(Type.String()),
  acknowledged_at: Type.Optional(NullableString),
  opened: Timestamp,
  resolved: Type.Optional(Timestamp),
  updated: Timestamp,
  /** Only in the answer to a silence. */
  silenced_until: Type.Optional(Timestamp),
});
export type AlertDoc = Static<typeof AlertDocSchema>;

/** A (machine, check) state: `GET /services/msa/results`. */
export const CheckStateDocSchema = Closed({
  machine: Type.String(),
  instance: Type.String(),
  check: Type.String(),
  check_id: Type.String(),
  status: Type.String(),
  occurrences: Type.Integer(),
  flapping: Type.Boolean(),
  output: Type.String(),
  /** When the check ran: ISO 8601, UTC (as the Watcher reports it). */
  executed: Type.String({ format: 'date-time' }),
  silenced_until: Type.Optional(Timestamp),
  silenced_by: Type.Optional(NullableString),
  updated: Timestamp,
});
export type CheckStateDoc = Static<typeof CheckStateDocSchema>;

/** A stored check as the MSA API serves it: its definition and the server's fields. */
export const CheckDocSchema = Type.Composite(
  [
    CheckSpec,
    Closed({
      ...DocHead,
      owner: Type.String(),
      version: Type.Integer(),
      created: Timestamp,
      updated: Timestamp,
    }),
  ],
  { additionalProperties: false },
);

/** The answer to `POST /services/msa/results`: what the result changed. */
export const ResultAnswerSchema = Closed({
  status: Type.Integer(),
  occurrences: Type.Integer(),
  flapping: Type.Boolean(),
  samples: Type.Integer(),
  events: Type.Array(Type.String()),
  alert: Type.Optional(AlertDocSchema),
});

export const MetricSeriesSchema = Closed({
  machine: Type.String(),
  metric: Type.String(),
  points: Type.Array(Closed({ ts: Type.Integer(), value: Type.Number() })),
});

/** `GET /services/msa/metrics`. */
export const MetricsReplySchema = Closed({
  instance: Type.String(),
  from: Type.Integer(),
  to: Type.Integer(),
  step: Type.Number(),
  aggregate: Type.String(),
  metrics: Type.Array(Type.String()),
  series: Type.Array(MetricSeriesSchema),
});

/** A Watcher enrolled for a machine (`GET /services/msa/watchers`): never its password hash. */
export const WatcherDocSchema = Closed({
  username: Type.String(),
  machine: Type.String(),
  instance: Type.String(),
  owner: Type.String(),
  revoked: Type.Boolean(),
  /** Last message from the Watcher, epoch ms; null before the first. */
  last_seen: NullableInteger,
  ledger: Closed({
    accepted: Type.Integer(),
    rejected: Type.Integer(),
    emitted: Type.Integer(),
    dropped: Type.Integer(),
  }),
  created: Timestamp,
});

/** `POST /services/msa/run`: which machines were asked to run which checks. */
export const RunAnswerSchema = Closed({
  instance: Type.String(),
  machines: Type.Array(Type.String()),
  checks: Type.Array(Type.String()),
});
