import { Type, type Static } from '@sinclair/typebox';

/** Built-in checks the Watcher runs without a script. */
export const BUILTIN_CHECKS = ['cpu', 'memory', 'disk', 'load', 'process', 'tcp', 'http'] as const;
export type BuiltinCheck = (typeof BUILTIN_CHECKS)[number];

const Name = Type.String({ pattern: '^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$' });
const Seconds = (max: number) => Type.Integer({ minimum: 1, maximum: max });

/** The definition fields a user writes (checks create / PUT). */
export const CheckSpec = Type.Object(
  {
    name: Name,
    description: Type.Optional(Type.String({ maxLength: 1024 })),
    /** A shell command following the Nagios plugin convention; or `builtin`. */
    command: Type.Optional(Type.String({ minLength: 1, maxLength: 4096 })),
    builtin: Type.Optional(
      Type.Object(
        {
          type: Type.Union(BUILTIN_CHECKS.map((b) => Type.Literal(b))),
          params: Type.Optional(
            Type.Record(
              Type.String({ pattern: '^[a-z_]{1,32}$' }),
              Type.Union([Type.String({ maxLength: 1024 }), Type.Number()]),
            ),
          ),
        },
        { additionalProperties: false },
      ),
    ),
    interval: Seconds(86_400),
    timeout: Type.Optional(Seconds(3_600)),
    /** For built-ins: the value at which the check turns WARNING / CRITICAL. */
    thresholds: Type.Optional(
      Type.Object(
        { warning: Type.Optional(Type.Number()), critical: Type.Optional(Type.Number()) },
        { additionalProperties: false },
      ),
    ),
    output_metric_format: Type.Optional(
      Type.Union([
        Type.Literal('nagios_perfdata'),
        Type.Literal('prometheus_text'),
        Type.Literal('graphite_plaintext'),
      ]),
    ),
    /** Which of the workspace's machines run it: instances with all these tags and/or of this box. */
    target: Type.Optional(
      Type.Object(
        {
          tags: Type.Optional(Type.Array(Type.String({ minLength: 1, maxLength: 128 }), { maxItems: 32 })),
          box: Type.Optional(Type.String({ minLength: 1, maxLength: 128 })),
        },
        { additionalProperties: false },
      ),
    ),
    /** Flap detection thresholds in percent state change (Nagios defaults 20 / 40 otherwise). */
    flap: Type.Optional(
      Type.Object(
        { low: Type.Number({ minimum: 0, maximum: 100 }), high: Type.Number({ minimum: 0, maximum: 100 }) },
        { additionalProperties: false },
      ),
    ),
  },
  { additionalProperties: false },
);
export type CheckSpec = Static<typeof CheckSpec>;

/** A stored check as the MSA API serves it. */
export type CheckDoc = CheckSpec & {
  id: string;
  uri: string;
  schema: string;
  owner: string;
  version: number;
  created: string;
  updated: string;
};

/** Seconds a check may run when its definition names no timeout. */
export const DEFAULT_CHECK_TIMEOUT = 30;

/**
 * A check a box declares for its instances (`checks` in a box, box.yaml): a check definition
 * without `target`, since it runs on the machines of every instance deployed from the box.
 */
export const BoxCheckSpec = Type.Omit(CheckSpec, ['target'], { additionalProperties: false });
export type BoxCheckSpec = Static<typeof BoxCheckSpec>;

/** Most checks one box may declare. */
export const MAX_BOX_CHECKS = 50;

/**
 * Why a check definition cannot run, beyond its schema, as a message about `at` (`body`,
 * `checks[0]`); undefined when it can.
 */
export function checkSpecProblem(spec: BoxCheckSpec, at: string): string | undefined {
  if (!spec.command === !spec.builtin) return `${at} must have exactly one of command and builtin`;
  if (spec.timeout !== undefined && spec.timeout > spec.interval * 10) {
    return `${at}/timeout must be at most ten times the interval`;
  }
  if (spec.flap && spec.flap.low > spec.flap.high) return `${at}/flap/low must not exceed flap/high`;
  return undefined;
}
