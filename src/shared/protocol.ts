/**
 * The agent wire protocol: the ONE definition of every websocket message between a machine agent
 * and the control plane. Every frame is a UTF-8 JSON text object `{type, …}`; each type has a
 * TypeBox schema below and both ends validate with {@link parseMessage} before acting on a frame.
 *
 * ## Connection
 * - The agent connects OUTBOUND to `wss://<server>/services/agent` ({@link AGENT_PATH}) with
 *   `Authorization: Bearer <machine token>`. The token is valid only for its own machine; the server
 *   authenticates during the HTTP upgrade (401 before 101) and binds the socket to that machine, so
 *   any `executionId` an agent names must belong to an execution dispatched to that machine.
 * - TLS 1.2 minimum. The agent trusts the system roots plus the control plane's CA file.
 * - Frames ≤ {@link MAX_FRAME_BYTES} (ws `maxPayload` on both ends), JSON nesting ≤ {@link MAX_JSON_DEPTH},
 *   output lines ≤ {@link MAX_CHUNK_BYTES} UTF-8 bytes. Receivers ignore unknown fields of known types
 *   and refuse unknown types; a server closes an agent that sends an invalid frame with the
 *   {@link ProtocolError.closeCode} (1007 bad UTF-8, 1009 too big, 1008 otherwise).
 * - Liveness: the server sends ws ping frames (or `ping` messages) every P (default 20 s); the agent
 *   treats a server silent for 2P + 5 s as dead and reconnects with full-jitter backoff 1 s → 60 s.
 *   The agent sends `heartbeat` every P.
 *
 * ## Flow of one execution (one rendered event script on one machine)
 * 1. server → `execute`. The agent records the id as started (durably) before it spawns anything;
 *    an id it has started before is never run again: it answers `rejected {reason: 'duplicate'}` and,
 *    if it still holds that execution's data, re-sends it.
 * 2. agent → a stream of records, each with `seq` per execution, from 1, gap-free and never reused:
 *    `output` lines, `set_variable` (from `elasticbox set`) and `notify` (from `elasticbox notify`)
 *    share one sequence, so their relative order is kept. The server stores each `(executionId, seq)`
 *    once, drops duplicates, and sends `ack {seq}` when it has stored everything up to `seq`.
 * 3. agent → `result`, exactly once per execution (terminal). `lastSeq` is the last record's seq,
 *    `outputLines` the number of `output` records. The server answers `result_ack` once it has
 *    stored the result and every record up to `lastSeq`; only then does the agent delete its spool.
 * 4. On reconnect the agent sends `hello {pending, running}` and re-sends, for every pending
 *    execution, all records after the last `ack` and then the result if there is one. A server that
 *    dispatched an execution which is neither pending, running nor resolved may re-send `execute`.
 * - `cancel` kills a running execution's process group (result status `killed`).
 * - Exit codes are reported as they are: `exitCode 100` (status `failed`) is the CAM reboot request;
 *   the server decides what it means. `truncated: true` says output was dropped past the cap; the
 *   exit status is unaffected.
 */
import type { StreamEvent } from './events.js';
import { Scope, VariableName } from './identifiers.js';
import { Type, type Static, type TSchema } from '@sinclair/typebox';
import { TypeCompiler, type TypeCheck } from '@sinclair/typebox/compiler';

export const PROTOCOL_VERSION = 1;
/** Path of the agent websocket endpoint on the control plane. */
export const AGENT_PATH = '/services/agent';
/**
 * Enrollment (quality.md A4), plain HTTPS before any websocket: a new agent POSTs
 * {@link EnrollRequest} (its one-time enrollment token, in the body, never the URL) to
 * {@link ENROLL_PATH} and receives {@link EnrollResponse}: the machine id the server assigned and
 * the machine credential it uses as its Bearer token from then on. The server keeps hashes only;
 * a token is traded once, before it expires.
 */
export const ENROLL_PATH = `${AGENT_PATH}/enroll`;
/** The agent program (one file, Node ≥ 18) and its sha256 (`sha256sum` format). */
export const AGENT_PROGRAM_PATH = `${AGENT_PATH}/agent.mjs`;
export const AGENT_PROGRAM_SHA256_PATH = `${AGENT_PATH}/agent.mjs.sha256`;
/** Response header carrying the agent program's sha256 (hex). */
export const AGENT_SHA256_HEADER = 'x-ebcli-agent-sha256';
/** The POSIX sh installer (`curl … | sh`). */
export const BOOTSTRAP_PATH = `${AGENT_PATH}/bootstrap.sh`;
export const EnrollRequest = Type.Object({
  token: Type.String({ minLength: 16, maxLength: 256 }),
  /** The host's name, shown in `machines list` (the id is the server's). */
  hostname: Type.Optional(Type.String({ minLength: 1, maxLength: 253 })),
  agentVersion: Type.Optional(Type.String({ maxLength: 64 })),
});
export const EnrollResponse = Type.Object({
  machine: Type.String({ minLength: 1, maxLength: 256 }),
  token: Type.String({ minLength: 16 }),
});
export type EnrollRequest = Static<typeof EnrollRequest>;
export type EnrollResponse = Static<typeof EnrollResponse>;
/** Largest frame either end accepts (ws `maxPayload`). */
export const MAX_FRAME_BYTES = 1024 * 1024;
/** Largest `output.line`, in UTF-8 bytes; longer lines arrive as several records with `partial`. */
export const MAX_CHUNK_BYTES = 64 * 1024;
/** Deepest JSON nesting accepted in a frame. */
export const MAX_JSON_DEPTH = 64;
/** Default cap on the output bytes kept per execution (head + tail). */
export const DEFAULT_OUTPUT_CAP_BYTES = 4 * 1024 * 1024;
/** Default script timeout when `execute.timeoutSeconds` is absent. */
export const DEFAULT_TIMEOUT_SECONDS = 3600;
/** Default ping/heartbeat interval P. */
export const DEFAULT_PING_INTERVAL_MS = 20_000;
/** Largest value `elasticbox set` may store (keeps a `set_variable` frame under the frame cap). */
export const MAX_VARIABLE_VALUE_CHARS = 128 * 1024;

/** Websocket close codes used on the agent channel. */
export const CloseCode = {
  normal: 1000,
  goingAway: 1001,
  invalidData: 1007,
  policy: 1008,
  tooBig: 1009,
  /**
   * The server could not handle a frame (its store was unreachable): the agent reconnects and
   * sends again what it has not had acknowledged (hello, results from its outbox).
   */
  tryAgainLater: 1013,
  /** Another connection authenticated as the same machine replaced this one. */
  replaced: 4001,
  /** The machine token was revoked. */
  revoked: 4003,
  /** The peer did not read fast enough (send buffer over its cap). */
  slowConsumer: 4008,
} as const;

export { Scope, VariableName };

const ID = '^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$';
/** Execution, operation and instance ids: safe as file and directory names. */
export const ExecutionId = Type.String({ pattern: ID });
const Seq = Type.Integer({ minimum: 1 });
const EpochMs = Type.Integer({ minimum: 0 });
export const OutputStream = Type.Union([Type.Literal('stdout'), Type.Literal('stderr')]);
export const ResultStatus = Type.Union([
  Type.Literal('success'),
  Type.Literal('failed'),
  Type.Literal('timeout'),
  Type.Literal('killed'),
]);

// ---- agent → server ----

/** First frame after connecting. `pending`: executions with unacknowledged records or result. */
export const HelloMessage = Type.Object({
  type: Type.Literal('hello'),
  protocol: Type.Integer({ minimum: 1 }),
  machine: Type.String({ minLength: 1, maxLength: 256 }),
  agentVersion: Type.String({ maxLength: 64 }),
  pending: Type.Array(ExecutionId, { maxItems: 10_000 }),
  /** Executions whose scripts are running right now. */
  running: Type.Array(ExecutionId, { maxItems: 10_000 }),
});
/** Sent every P. */
export const HeartbeatMessage = Type.Object({ type: Type.Literal('heartbeat'), sentAt: EpochMs });
/** Answer to a server `ping` message. */
export const PongMessage = Type.Object({ type: Type.Literal('pong'), sentAt: EpochMs });
/**
 * One line of script output, newline removed (and a trailing CR). Secrets are already masked;
 * invalid UTF-8 arrives as U+FFFD. `partial: true`: the line continues in the next `output`
 * record of the same stream (a long line split into ≤ 64 KiB chunks).
 */
export const OutputMessage = Type.Object({
  type: Type.Literal('output'),
  executionId: ExecutionId,
  seq: Seq,
  stream: OutputStream,
  line: Type.String({ maxLength: MAX_CHUNK_BYTES }),
  partial: Type.Optional(Type.Boolean()),
});
/**
 * `elasticbox set`: store `value` for variable `name` of the box at absolute `scope`. Values are
 * not masked (they are the data to store); the server knows which variables are passwords.
 */
export const SetVariableMessage = Type.Object({
  type: Type.Literal('set_variable'),
  executionId: ExecutionId,
  seq: Seq,
  name: VariableName,
  value: Type.String({ maxLength: MAX_VARIABLE_VALUE_CHARS }),
  scope: Scope,
});
/** `elasticbox notify`: reconfigure the instances bound to this one. */
export const NotifyMessage = Type.Object({ type: Type.Literal('notify'), executionId: ExecutionId, seq: Seq });
/** Terminal outcome, exactly once per execution. Times are epoch milliseconds. */
export const ResultMessage = Type.Object({
  type: Type.Literal('result'),
  executionId: ExecutionId,
  status: ResultStatus,
  /** The script's exit code; null when it ended by a signal or never started. */
  exitCode: Type.Union([Type.Integer(), Type.Null()]),
  signal: Type.Union([Type.String({ maxLength: 32 }), Type.Null()]),
  truncated: Type.Boolean(),
  startedAt: EpochMs,
  finishedAt: EpochMs,
  outputLines: Type.Integer({ minimum: 0 }),
  lastSeq: Type.Integer({ minimum: 0 }),
  /** Why the agent ended it without an exit code (template error, spawn failure, agent restart). */
  message: Type.Optional(Type.String({ maxLength: 4096 })),
});
/**
 * The agent did not start this `execute`. `duplicate`: the id was started before (its data is
 * re-sent if the agent still holds it; its result is authoritative). `invalid`: the frame failed
 * validation. `spool_full`: the agent cannot record it durably. `stopping`: the agent is shutting down.
 */
export const RejectedMessage = Type.Object({
  type: Type.Literal('rejected'),
  executionId: ExecutionId,
  reason: Type.Union([
    Type.Literal('duplicate'),
    Type.Literal('invalid'),
    Type.Literal('spool_full'),
    Type.Literal('stopping'),
  ]),
  message: Type.Optional(Type.String({ maxLength: 4096 })),
});

// ---- server → agent ----

/**
 * Run one event script. `template` is the script text, rendered by the agent as a Jinja2 template
 * with `context` (the CAM template context, cam-api §5: the box's variables at top level, child
 * boxes by variable name, bindings as lists of bound instances, `instance`, `service`, `machine`,
 * `address`, `addresses`, `box`, `environment`, `variables`; the agent sets `folder`). `env` is
 * exported into the script's environment. `secrets` are masked in everything the agent sends.
 * Scripts of one `operationId` see `elasticbox set` values of earlier scripts of that operation.
 */
export const ExecuteMessage = Type.Object({
  type: Type.Literal('execute'),
  executionId: ExecutionId,
  operationId: ExecutionId,
  instanceId: ExecutionId,
  event: Type.String({ pattern: '^[A-Za-z0-9_.-]{1,64}$' }),
  scope: Scope,
  boxName: Type.String({ maxLength: 256 }),
  template: Type.String({ maxLength: 768 * 1024 }),
  context: Type.Record(Type.String(), Type.Unknown()),
  env: Type.Record(Type.String(), Type.String()),
  secrets: Type.Array(Type.String({ maxLength: 64 * 1024 }), { maxItems: 1000 }),
  /** Default {@link DEFAULT_TIMEOUT_SECONDS}; on expiry the process group gets SIGTERM, then SIGKILL. */
  timeoutSeconds: Type.Optional(Type.Integer({ minimum: 1, maximum: 7 * 24 * 3600 })),
  /** Output bytes kept (head + tail); default {@link DEFAULT_OUTPUT_CAP_BYTES}. */
  outputCapBytes: Type.Optional(Type.Integer({ minimum: 1024, maximum: 64 * 1024 * 1024 })),
});
/** The server has stored every record of the execution up to and including `seq`. */
export const AckMessage = Type.Object({ type: Type.Literal('ack'), executionId: ExecutionId, seq: Seq });
/** The server has stored the result and all records; the agent may forget the execution. */
export const ResultAckMessage = Type.Object({ type: Type.Literal('result_ack'), executionId: ExecutionId });
/** Kill a running execution (its result will have status `killed`). */
export const CancelMessage = Type.Object({ type: Type.Literal('cancel'), executionId: ExecutionId });
/** Application-level ping for transports that hide ws ping frames; the agent answers `pong`. */
export const PingMessage = Type.Object({ type: Type.Literal('ping'), sentAt: EpochMs });
/**
 * The instance no longer runs on this machine (a registered machine freed at terminate): the
 * agent removes `<workdir>/<instanceId>` and nothing else.
 */
export const CleanupMessage = Type.Object({
  type: Type.Literal('cleanup'),
  instanceId: Type.String({ pattern: '^i-[a-z0-9]{6}$' }),
});

export const AgentMessage = Type.Union([
  HelloMessage,
  HeartbeatMessage,
  PongMessage,
  OutputMessage,
  SetVariableMessage,
  NotifyMessage,
  ResultMessage,
  RejectedMessage,
]);
export const ServerMessage = Type.Union([
  ExecuteMessage,
  AckMessage,
  ResultAckMessage,
  CancelMessage,
  PingMessage,
  CleanupMessage,
]);

export type HelloMessage = Static<typeof HelloMessage>;
export type HeartbeatMessage = Static<typeof HeartbeatMessage>;
export type PongMessage = Static<typeof PongMessage>;
export type OutputMessage = Static<typeof OutputMessage>;
export type SetVariableMessage = Static<typeof SetVariableMessage>;
export type NotifyMessage = Static<typeof NotifyMessage>;
export type ResultMessage = Static<typeof ResultMessage>;
export type RejectedMessage = Static<typeof RejectedMessage>;
export type ExecuteMessage = Static<typeof ExecuteMessage>;
export type AckMessage = Static<typeof AckMessage>;
export type ResultAckMessage = Static<typeof ResultAckMessage>;
export type CancelMessage = Static<typeof CancelMessage>;
export type PingMessage = Static<typeof PingMessage>;
export type CleanupMessage = Static<typeof CleanupMessage>;
/** Any message an agent sends. */
export type AgentMessage = Static<typeof AgentMessage>;
/** Any message the server sends to an agent. */
export type ServerMessage = Static<typeof ServerMessage>;
/** Records of an execution's stream: they carry `seq`. */
export type ExecutionRecord = OutputMessage | SetVariableMessage | NotifyMessage;
export type ResultStatus = Static<typeof ResultStatus>;

type Checkers = Map<string, { check: TypeCheck<TSchema>; fields: Set<string> }>;

function compile(union: { anyOf: TSchema[] }): Checkers {
  const map: Checkers = new Map();
  for (const schema of union.anyOf) {
    const type = (schema.properties as { type: { const: string } }).type.const;
    map.set(type, { check: TypeCompiler.Compile(schema), fields: new Set(Object.keys(schema.properties)) });
  }
  return map;
}

// Compiled on first use: a CLI command that imports this module for its types and tail frames
// should not pay for compiling every agent message's checker at start-up (T2).
let fromAgent: Checkers | undefined;
let fromServer: Checkers | undefined;
const checkersFrom = (from: 'agent' | 'server'): Checkers =>
  from === 'agent' ? (fromAgent ??= compile(AgentMessage)) : (fromServer ??= compile(ServerMessage));

/** A frame that failed validation. The message never contains any of the frame's content. */
export class ProtocolError extends Error {
  override readonly name = 'ProtocolError';
  constructor(
    message: string,
    /** The websocket close code a receiver should use if it closes the connection. */
    readonly closeCode: number,
    /** The frame's `type`, only when it is a known message type. */
    readonly messageType?: string,
    /** The frame's `executionId`, only when it is well-formed (lets the agent answer `rejected`). */
    readonly executionId?: string,
  ) {
    super(message);
  }
}

/** Nesting depth of a JSON text, computed without parsing it (strings are skipped). */
export function jsonDepth(text: string, limit = Infinity): number {
  let depth = 0;
  let max = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c) i++;
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) inString = true;
    else if (c === 0x7b || c === 0x5b) {
      if (++depth > max) max = depth;
      if (max > limit) return max;
    } else if (c === 0x7d || c === 0x5d) depth--;
  }
  return max;
}

const utf8 = new TextDecoder('utf-8', { fatal: true });
const ID_RE = new RegExp(ID);

/** A frame's JSON value, checked for size, UTF-8 and nesting before it is parsed. */
function parseFrame(data: string | Buffer, maxBytes: number): unknown {
  const bytes = typeof data === 'string' ? Buffer.byteLength(data) : data.length;
  if (bytes > maxBytes) throw new ProtocolError('frame too large', CloseCode.tooBig);
  let text: string;
  try {
    text = typeof data === 'string' ? data : utf8.decode(data);
  } catch {
    throw new ProtocolError('frame is not valid UTF-8', CloseCode.invalidData);
  }
  if (jsonDepth(text, MAX_JSON_DEPTH) > MAX_JSON_DEPTH)
    throw new ProtocolError('JSON nested too deeply', CloseCode.policy);
  try {
    return JSON.parse(text);
  } catch {
    throw new ProtocolError('frame is not JSON', CloseCode.invalidData);
  }
}

/**
 * Validates one frame and returns the typed message. `from` names the sender: `'agent'` on the
 * server, `'server'` on the agent. Throws {@link ProtocolError}; errors name at most the type and
 * the top-level field that failed, never a value from the frame.
 */
export function parseMessage(data: string | Buffer, from: 'agent'): AgentMessage;
export function parseMessage(data: string | Buffer, from: 'server'): ServerMessage;
export function parseMessage(data: string | Buffer, from: 'agent' | 'server'): AgentMessage | ServerMessage {
  const value = parseFrame(data, MAX_FRAME_BYTES);
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new ProtocolError('frame is not a JSON object', CloseCode.policy);
  }
  const record = value as Record<string, unknown>;
  const checker = typeof record.type === 'string' ? checkersFrom(from).get(record.type) : undefined;
  if (!checker) throw new ProtocolError('unknown message type', CloseCode.policy);
  if (!checker.check.Check(value)) {
    const first = checker.check.Errors(value).First();
    const field = first?.path.split('/')[1];
    const where = field && checker.fields.has(field) ? ` at /${field}` : '';
    const id =
      typeof record.executionId === 'string' && ID_RE.test(record.executionId) ? record.executionId : undefined;
    throw new ProtocolError(`invalid ${record.type} message${where}`, CloseCode.policy, record.type as string, id);
  }
  return value as AgentMessage | ServerMessage;
}

/** Serialises a message, refusing frames over {@link MAX_FRAME_BYTES}. */
export function encodeMessage(message: AgentMessage | ServerMessage): string {
  const text = JSON.stringify(message);
  if (Buffer.byteLength(text) > MAX_FRAME_BYTES) throw new ProtocolError('frame too large', CloseCode.tooBig);
  return text;
}

// ==== Event tail protocol (/services/events) ========================================================
// Owned by the event-stream issue; appended as its own section. A user's client (never an agent:
// agent tokens are refused here) opens `wss://<server>/services/events?<filters>` with its API token
// in `ElasticBox-Token` or `Authorization: Bearer` (never in the query string). Filters, workspace
// and start point are query parameters, checked before the upgrade (401/403/400 before 101):
//   workspace=W  instance=ID… (repeat or comma-separate)  tag=T… (instances with all tags)
//   type=T…  since=SEQ [epoch=E]  since_time=ISO-8601  tail=N
// Without a start point the tail begins at the head (live only). The server sends `welcome`, an
// explicit `resync` when the requested history is gone, `events` batches in seq order and
// `heartbeat` frames; the client may send `ping` (answered by a `heartbeat`). Nothing else is
// accepted from the client: any other frame closes the socket (1008), frames over
// TAIL_MAX_CLIENT_FRAME_BYTES close it with 1009.

/** Path of the event tail endpoint (websocket, or plain GET for history). */
export const TAIL_PATH = '/services/events';
/** Largest frame the server accepts from a tail client. */
export const TAIL_MAX_CLIENT_FRAME_BYTES = 4096;
/** Close codes of tail sockets. */
export const TailCloseCode = {
  goingAway: CloseCode.goingAway,
  policy: CloseCode.policy,
  tooBig: CloseCode.tooBig,
  /** The tail's send buffer passed the server's cap; reconnect with `since` to resume. */
  slowConsumer: CloseCode.slowConsumer,
} as const;

const TailSeq = Type.Integer({ minimum: 0 });
/** One event of a workspace stream as a tail receives it. */
export const TailEvent = Type.Object({
  seq: Type.Integer({ minimum: 1 }),
  type: Type.String({ maxLength: 64 }),
  instance: Type.Union([Type.String(), Type.Null()]),
  operation: Type.Union([Type.String(), Type.Null()]),
  /** Server time of the append: CAM timestamp `YYYY-MM-DD HH:MM:SS.ffffff`, UTC. */
  created: Type.String(),
  data: Type.Record(Type.String(), Type.Unknown()),
});
/** First frame: the stream as it is now and the seq the tail continues after. */
export const TailWelcome = Type.Object({
  type: Type.Literal('welcome'),
  workspace: Type.String(),
  epoch: Type.Union([Type.String(), Type.Null()]),
  head: TailSeq,
  first: TailSeq,
  since: TailSeq,
  heartbeatMs: Type.Integer({ minimum: 1 }),
});
/**
 * Events in seq order. `cursor`: everything matching up to this seq has now been sent; `epoch`:
 * the stream they belong to (send it back with `since` when resuming).
 */
export const TailEvents = Type.Object({
  type: Type.Literal('events'),
  events: Type.Array(TailEvent),
  cursor: TailSeq,
  epoch: Type.Union([Type.String(), Type.Null()]),
});
/**
 * The requested history is gone (`pruned`), the stream was replaced (`epoch`), or the requested seq
 * is beyond the stream (`ahead`). The tail continues with the events from `first` on (of `epoch`).
 */
export const TailResync = Type.Object({
  type: Type.Literal('resync'),
  reason: Type.Union([Type.Literal('pruned'), Type.Literal('epoch'), Type.Literal('ahead')]),
  requested: TailSeq,
  first: TailSeq,
  head: TailSeq,
  epoch: Type.Union([Type.String(), Type.Null()]),
});
/** Liveness, and the seq this tail has been served through (resume with `since=head`). */
export const TailHeartbeat = Type.Object({ type: Type.Literal('heartbeat'), head: TailSeq, sentAt: EpochMs });
/** Client → server: ask for a heartbeat now. */
export const TailPing = Type.Object({ type: Type.Literal('ping') });

export const TailServerMessage = Type.Union([TailWelcome, TailEvents, TailResync, TailHeartbeat]);
export const TailClientMessage = Type.Union([TailPing]);
/**
 * One event as a tail receives it, typed per `type` (src/shared/events.ts). The frame check above
 * holds the envelope only: payloads stay open so an older reader meets a newer server's fields.
 */
export type TailEvent = StreamEvent;
export type TailWelcome = Static<typeof TailWelcome>;
export type TailEvents = Omit<Static<typeof TailEvents>, 'events'> & { events: StreamEvent[] };
export type TailResync = Static<typeof TailResync>;
export type TailHeartbeat = Static<typeof TailHeartbeat>;
export type TailServerMessage = TailWelcome | TailEvents | TailResync | TailHeartbeat;
export type TailClientMessage = Static<typeof TailClientMessage>;

let tailCheckers: { server: Checkers; client: Checkers } | undefined;

/**
 * Validates one tail frame. `from: 'tail-server'` on the client, `'tail-client'` on the server.
 * Throws {@link ProtocolError}, whose message never repeats the frame's content.
 */
export function parseTailMessage(data: string | Buffer, from: 'tail-server'): TailServerMessage;
export function parseTailMessage(data: string | Buffer, from: 'tail-client'): TailClientMessage;
export function parseTailMessage(data: string | Buffer, from: 'tail-server' | 'tail-client'): unknown {
  tailCheckers ??= { server: compile(TailServerMessage), client: compile({ anyOf: [TailPing] }) };
  const value = parseFrame(data, from === 'tail-client' ? TAIL_MAX_CLIENT_FRAME_BYTES : Infinity);
  const type = (value as { type?: unknown } | null)?.type;
  const checker =
    typeof type === 'string'
      ? (from === 'tail-server' ? tailCheckers.server : tailCheckers.client).get(type)
      : undefined;
  if (!checker) throw new ProtocolError('unknown message type', CloseCode.policy);
  if (!checker.check.Check(value))
    throw new ProtocolError(`invalid ${type as string} message`, CloseCode.policy, type as string);
  return value;
}
