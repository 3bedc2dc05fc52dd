import { Type, type Static } from '@sinclair/typebox';
import { TypeCompiler } from '@sinclair/typebox/compiler';
import type { Envelope } from './signing.js';

/**
 * The Watcher channel (issue 14): `wss://<server>/services/msa/watcher`, authenticated with the
 * Watcher's own username and password (`Authorization: Basic`, checked before the upgrade). Every
 * frame both ways is a signed {@link Envelope}: the Watcher signs with its Ed25519 key (the server
 * has the public half from enrollment), the server with its monitoring key (the Watcher got the
 * public half at enrollment). The payload is JSON text of one of the types below.
 *
 * Watcher → server: `hello` (first frame), `results`, `keepalive`, `refused` (a server frame it
 * would not accept). Server → Watcher: `config` (the machine's checks and timings), `ack` (results
 * up to a seq are stored), `run` (run these checks now). Refusals on either side are audited; the server closes the socket (1008).
 */
export const WATCHER_PATH = '/services/msa/watcher';
export const WATCHER_ENROLL_PATH = '/services/msa/watchers/enroll';

export const EnvelopeSchema = Type.Object(
  {
    type: Type.String({ maxLength: 32 }),
    machine: Type.String({ maxLength: 128 }),
    seq: Type.Integer({ minimum: 1 }),
    sentAt: Type.Integer({ minimum: 0 }),
    payload: Type.String({ maxLength: 4 * 1024 * 1024 }),
    sig: Type.String({ maxLength: 256 }),
  },
  { additionalProperties: false },
);

const Metric = Type.Object({
  name: Type.String({ maxLength: 200 }),
  value: Type.Number(),
  ts: Type.Optional(Type.Integer()),
});

export const WatcherResult = Type.Object({
  /** Emission number (1, 2, …, per Watcher): a result sent again after a lost ack is stored once. */
  n: Type.Integer({ minimum: 1 }),
  check: Type.String({ maxLength: 128 }),
  status: Type.Integer({ minimum: 0, maximum: 255 }),
  output: Type.String({ maxLength: 65_536 }),
  executed: Type.Integer({ minimum: 0 }),
  durationMs: Type.Integer({ minimum: 0 }),
  metrics: Type.Array(Metric, { maxItems: 10_000 }),
});
export type WatcherResult = Static<typeof WatcherResult>;

/** NL-6 ledger counters the Watcher reports with every `hello` and `results`. */
export const Ledger = Type.Object({
  emitted: Type.Integer({ minimum: 0 }),
  dropped: Type.Integer({ minimum: 0 }),
});

export const ResultsPayload = Type.Object({ results: Type.Array(WatcherResult, { maxItems: 10_000 }), ledger: Ledger });
export const HelloPayload = Type.Object({ version: Type.String({ maxLength: 64 }), ledger: Ledger });
export const RefusedPayload = Type.Object({
  reason: Type.String({ maxLength: 64 }),
  what: Type.String({ maxLength: 64 }),
});

/** One check as the Watcher runs it. */
export const WatcherCheck = Type.Object({
  id: Type.String(),
  name: Type.String(),
  version: Type.Integer(),
  command: Type.Optional(Type.String()),
  builtin: Type.Optional(
    Type.Object({
      type: Type.String(),
      params: Type.Optional(Type.Record(Type.String(), Type.Union([Type.String(), Type.Number()]))),
    }),
  ),
  interval: Type.Integer(),
  timeout: Type.Integer(),
  thresholds: Type.Optional(
    Type.Object({ warning: Type.Optional(Type.Number()), critical: Type.Optional(Type.Number()) }),
  ),
  output_metric_format: Type.Optional(Type.String()),
});
export type WatcherCheck = Static<typeof WatcherCheck>;

export const ConfigPayload = Type.Object({
  checks: Type.Array(WatcherCheck),
  keepaliveMs: Type.Integer({ minimum: 100 }),
});
export type ConfigPayload = Static<typeof ConfigPayload>;
export const AckPayload = Type.Object({ seq: Type.Integer({ minimum: 0 }) });
/** Server → Watcher: run these checks (ids) now, outside their schedule. */
export const RunPayload = Type.Object({ checks: Type.Array(Type.String(), { maxItems: 1000 }) });

export const checkEnvelope = TypeCompiler.Compile(EnvelopeSchema);
export const checkResults = TypeCompiler.Compile(ResultsPayload);
export const checkHello = TypeCompiler.Compile(HelloPayload);
export const checkRefused = TypeCompiler.Compile(RefusedPayload);
export const checkConfig = TypeCompiler.Compile(ConfigPayload);
export const checkAck = TypeCompiler.Compile(AckPayload);
export const checkRun = TypeCompiler.Compile(RunPayload);

/** Parses a frame into an envelope, or undefined when it is not one. */
export function parseEnvelope(data: string): Envelope | undefined {
  try {
    const value: unknown = JSON.parse(data);
    return checkEnvelope.Check(value) ? value : undefined;
  } catch {
    return undefined;
  }
}

/** Enrollment: the Watcher sends its public key with the machine's token; gets its own credentials. */
export const EnrollBody = Type.Object(
  { public_key: Type.String({ minLength: 40, maxLength: 200 }) },
  { additionalProperties: false },
);
export const EnrollReply = Type.Object({
  machine: Type.String(),
  username: Type.String(),
  password: Type.String(),
  server_key: Type.String(),
});
export type EnrollReply = Static<typeof EnrollReply>;
