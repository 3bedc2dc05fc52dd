import { Type, type Static, type TObject } from '@sinclair/typebox';
import { ERROR_CODES } from './errors.js';

/**
 * The events of a workspace stream (`/services/events` tail, `GET …/events`), one payload shape per
 * `type`: the server's writers, the websocket tail and the CLI renderer are all typed by
 * {@link StreamEvent}, so a field renamed on one side fails to compile on the others.
 *
 * Readers ignore fields they do not know and never rely on an optional field being there; a type
 * they do not know (from a newer server) reaches their `default` branch.
 */

const Str = Type.String();
const OptStr = Type.Optional(Str);
const Stream = Type.Union([Type.Literal('stdout'), Type.Literal('stderr')]);
const Code = Type.Union(ERROR_CODES.map((c) => Type.Literal(c)));

const Alert = {
  alert: Str,
  machine: Str,
  check: Str,
  checkId: Str,
};

export const EVENT_PAYLOADS = {
  /** The instance document changed state. */
  'instance.state': Type.Object({
    id: Str,
    state: Str,
    operation: Type.Object({ event: Str, workspace: OptStr, created: OptStr }, { additionalProperties: true }),
    updated: Str,
  }),
  /** A CAM activity entry (cam-api.md §3.5). */
  activity: Type.Object({
    text: Str,
    level: Str,
    request_id: Type.Optional(Type.Union([Str, Type.Null()])),
    created: Str,
    box: OptStr,
    machine: OptStr,
    event: OptStr,
    exit_code: Type.Optional(Type.Union([Type.Integer(), Type.Null()])),
    finished: Type.Optional(Type.Union([Str, Type.Null()])),
    username: OptStr,
    /** On failure entries: why, machine-readable (e.g. `agent_unreachable`). */
    code: Type.Optional(Code),
  }),
  'script.start': Type.Object({
    executionId: Str,
    event: Str,
    box: Str,
    scope: OptStr,
    machine: OptStr,
  }),
  /**
   * One line, possibly in parts (`partial`), or several lines of one execution at once (`lines`,
   * `seq` = the first's). Batching per flush is what lets the log keep up with chatty scripts.
   */
  'script.output': Type.Union([
    Type.Object({
      executionId: Str,
      stream: Stream,
      seq: Type.Optional(Type.Integer()),
      line: Str,
      partial: Type.Optional(Type.Boolean()),
    }),
    Type.Object({
      executionId: Str,
      stream: Stream,
      seq: Type.Optional(Type.Integer()),
      lastSeq: Type.Optional(Type.Integer()),
      lines: Type.Array(Str),
    }),
  ]),
  'script.finish': Type.Object({
    executionId: Str,
    status: Str,
    exitCode: Type.Union([Type.Integer(), Type.Null()]),
    event: OptStr,
    box: OptStr,
    scope: OptStr,
    machine: OptStr,
    message: OptStr,
    durationMs: Type.Optional(Type.Number()),
  }),
  /** `session`: the server's number for the connection (a later one replaces it). */
  'agent.connect': Type.Object({ machine: Str, session: Type.Integer(), agentVersion: OptStr }),
  'agent.disconnect': Type.Object({ machine: Str, session: Type.Integer() }),
  'agent.lost': Type.Object({ machine: Str, session: Type.Integer() }),
  /** An agent named another machine's execution; its message was refused (never the payload). */
  'agent.refused': Type.Object({ machine: Str, message: Str, executionId: Str, reason: Str }),
  /** A host traded an enrollment token. */
  'machine.enrolled': Type.Object({ machine: Str, hostname: Str, claims: Type.Array(Str) }),
  /** A registered machine was removed (its credential revoked). */
  'machine.removed': Type.Object({ machine: Str }),
  'alert.open': Type.Object({ ...alertChange() }),
  /** Only when the severity or the flapping flag changed. */
  'alert.update': Type.Object({ ...alertChange() }),
  'alert.resolve': Type.Object({ ...alertChange() }),
  /** Someone acknowledged an open alert. */
  'alert.ack': Type.Object({ ...Alert, by: Str }),
  /** Someone silenced the alert's (machine, check) until `until`. */
  'alert.silence': Type.Object({ ...Alert, by: Str, until: Str }),
  /** A signed Watcher frame was refused by the server (`by: 'server'`) or by the Watcher. */
  'watcher.refused': Type.Object({
    machine: Str,
    watcher: Str,
    reason: Str,
    type: Str,
    by: Type.Union([Type.Literal('server'), Type.Literal('watcher')]),
  }),
} satisfies Record<string, TObject | ReturnType<typeof Type.Union>>;

function alertChange() {
  return {
    ...Alert,
    status: Str,
    severity: Str,
    occurrences: Type.Integer(),
    flapping: Type.Boolean(),
    message: Str,
  };
}

export type EventType = keyof typeof EVENT_PAYLOADS;
export const EVENT_TYPES = Object.keys(EVENT_PAYLOADS) as EventType[];
/** The `data` of an event of this type. */
export type EventData<K extends EventType = EventType> = Static<(typeof EVENT_PAYLOADS)[K]>;

/** `Base` plus a `type` and the `data` of that type, for every type: a union discriminated by `type`. */
export type EventOf<Base> = { [K in EventType]: Base & { type: K; data: EventData<K> } }[EventType];

/** An event of a workspace stream as tails and `GET …/events` serve it (the workspace is implied). */
export type StreamEvent = EventOf<{
  seq: number;
  instance: string | null;
  operation: string | null;
  /** Server time of the append: CAM timestamp `YYYY-MM-DD HH:MM:SS.ffffff`, UTC. */
  created: string;
}>;

export const isEventType = (type: string): type is EventType => Object.hasOwn(EVENT_PAYLOADS, type);
