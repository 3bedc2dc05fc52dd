import { Type } from '@sinclair/typebox';

export const CheckParams = Type.Object({ check: Type.String({ minLength: 1, maxLength: 128 }) });
export const AlertParams = Type.Object({ alert: Type.String({ minLength: 1, maxLength: 128 }) });

export const ChecksQuery = Type.Object({ workspace: Type.Optional(Type.String({ minLength: 1, maxLength: 128 })) });

export const MetricSample = Type.Object(
  {
    name: Type.String({ minLength: 1, maxLength: 200 }),
    value: Type.Number(),
    ts: Type.Optional(Type.Integer({ minimum: 0 })),
  },
  { additionalProperties: false },
);

/** One check result submitted over REST (`ebcli checks run`, scripts, tests). */
export const ResultBody = Type.Object(
  {
    instance: Type.String({ minLength: 1, maxLength: 128 }),
    /** One of the instance's machines; its first one when left out. */
    machine: Type.Optional(Type.String({ minLength: 1, maxLength: 128 })),
    /** Check id or name (in the instance's workspace). */
    check: Type.String({ minLength: 1, maxLength: 128 }),
    /** Nagios exit code: 0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN. */
    status: Type.Integer({ minimum: 0, maximum: 255 }),
    output: Type.String({ maxLength: 65_536 }),
    /** Epoch ms it ran at (now when left out). */
    executed: Type.Optional(Type.Integer({ minimum: 0 })),
    metrics: Type.Optional(Type.Array(MetricSample, { maxItems: 10_000 })),
  },
  { additionalProperties: false },
);

export const ResultsQuery = Type.Object({ instance: Type.String({ minLength: 1, maxLength: 128 }) });

const Duration = Type.String({ pattern: '^\\d+(\\.\\d+)?(ms|s|m|h|d)?$', maxLength: 32 });

export const MetricsQuery = Type.Object({
  instance: Type.String({ minLength: 1, maxLength: 128 }),
  metric: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
  /** How far back from `until` (default 1h). */
  since: Type.Optional(Duration),
  /** End of the range, epoch ms (default now). */
  until: Type.Optional(Type.String({ pattern: '^\\d{1,15}$' })),
  /** Bucket size (default 1m). */
  step: Type.Optional(Duration),
  aggregate: Type.Optional(Type.Union(['avg', 'min', 'max', 'last', 'p95'].map((a) => Type.Literal(a)))),
});

export const AlertsQuery = Type.Object({
  workspace: Type.Optional(Type.String({ minLength: 1, maxLength: 128 })),
  instance: Type.Optional(Type.String({ minLength: 1, maxLength: 128 })),
  /** `open` (default), `resolved` or `all`. */
  state: Type.Optional(Type.Union([Type.Literal('open'), Type.Literal('resolved'), Type.Literal('all')])),
  severity: Type.Optional(Type.Union([Type.Literal('warning'), Type.Literal('critical'), Type.Literal('unknown')])),
});

export const SilenceBody = Type.Object(
  {
    /** How long the silence lasts, e.g. `30m`. */
    duration: Duration,
    reason: Type.Optional(Type.String({ maxLength: 1024 })),
  },
  { additionalProperties: false },
);
