import type { IncomingHttpHeaders } from 'node:http';
import type { FastifyBaseLogger } from 'fastify';
import type { WebSocket } from 'ws';
import {
  CloseCode,
  ProtocolError,
  TAIL_MAX_CLIENT_FRAME_BYTES,
  TailCloseCode,
  parseTailMessage,
  type TailHeartbeat,
  type TailResync,
  type TailWelcome,
} from '../../shared/protocol.js';
import { tokenFromHeaders } from '../auth/auth.js';
import { hashToken } from '../auth/security.js';
import type { CompiledFilter } from '../events/filter.js';
import type { EventHub } from '../events/hub.js';
import { Subscription, type StartPoint, type SubscriptionSink } from '../events/subscription.js';

export interface TailOptions {
  hub: EventHub;
  workspace: string;
  filter: CompiledFilter;
  start: StartPoint;
  log: FastifyBaseLogger;
  /**
   * Headers of the (already authenticated) upgrade request: the token in them is kept only as its
   * hash, and revoking that token closes the socket.
   */
  headers?: IncomingHttpHeaders;
  /**
   * For a socket opened without a token (a console session): calls its argument once the
   * credential ends, closing the socket as for a revoked token; returns the unwatch.
   */
  watchCredential?: (end: () => void) => () => void;
  /** The user the tail was opened for: it closes once that user leaves the workspace. */
  member?: string;
}

/**
 * ws caps frames for the whole server (1 MiB, sized for agents); a tail client only ever sends
 * tiny frames, so its receiver gets a much smaller cap. The receiver is ws-internal: if its shape
 * ever changes, `parseTailMessage` still refuses large frames after receipt.
 */
function capIncomingFrames(socket: WebSocket, bytes: number): void {
  const receiver = (socket as unknown as { _receiver?: { _maxPayload?: unknown } })._receiver;
  if (receiver && typeof receiver._maxPayload === 'number') receiver._maxPayload = bytes;
}

/**
 * Serves one authenticated tail socket: `welcome`, an explicit `resync` when its history is gone,
 * then `events` in seq order from the store and the live feed, `heartbeat` frames carrying the seq
 * it has been served through, ws pings (a peer silent for a whole interval is terminated), and a
 * cut-off with {@link TailCloseCode.slowConsumer} once its send buffer passes the cap, and a
 * close with {@link CloseCode.revoked} ("token revoked") once the token it was opened with is deleted
 * ("membership revoked" once its user is no longer a member of the workspace).
 */
export function serveTail(socket: WebSocket, opts: TailOptions): void {
  const { hub, start } = opts;
  const tunables = hub.tunables;
  capIncomingFrames(socket, TAIL_MAX_CLIENT_FRAME_BYTES);
  let closed = false;
  let alive = true;

  const send = (text: string) => {
    if (closed || socket.readyState !== socket.OPEN) return;
    socket.send(text);
    if (socket.bufferedAmount > tunables.maxBufferedBytes) cutOff();
  };
  const cutOff = () => {
    const buffered = socket.bufferedAmount;
    finish();
    opts.log.warn({ workspace: opts.workspace, buffered }, 'event tail cut off: slow consumer');
    socket.close(TailCloseCode.slowConsumer, 'slow consumer: send buffer over cap; resume with since');
    setTimeout(() => socket.terminate(), tunables.closeGraceMs).unref();
  };
  const closeRevoked = (reason: string) => {
    if (closed) return;
    finish();
    opts.log.info({ workspace: opts.workspace }, `event tail closed: ${reason}`);
    socket.close(CloseCode.revoked, reason);
    setTimeout(() => socket.terminate(), tunables.closeGraceMs).unref();
  };
  const revoked = () => closeRevoked('token revoked');

  const sink: SubscriptionSink = {
    events(events, cursor, epoch) {
      const head = `{"type":"events","cursor":${cursor},"epoch":${JSON.stringify(epoch)},"events":[`;
      send(`${head}${events.map((e) => e.json).join(',')}]}`);
    },
    resync(info) {
      send(JSON.stringify({ type: 'resync', ...info } satisfies TailResync));
    },
    drained() {
      const low = hub.sliceBytes;
      return new Promise((resolve) => {
        const check = () => (closed || socket.bufferedAmount <= low ? resolve() : setTimeout(check, 10));
        check();
      });
    },
  };
  const sub = new Subscription(hub, opts.workspace, opts.filter, start.since, start.info.epoch, sink);
  const heartbeat = () => {
    if (sub.isLive)
      send(JSON.stringify({ type: 'heartbeat', head: sub.cursor, sentAt: Date.now() } satisfies TailHeartbeat));
  };

  const pinger = setInterval(() => {
    if (!alive) {
      socket.terminate();
      return;
    }
    alive = false;
    socket.ping();
  }, tunables.pingIntervalMs);
  const beater = setInterval(heartbeat, tunables.heartbeatMs);
  pinger.unref();
  beater.unref();
  const token = opts.headers ? tokenFromHeaders(opts.headers) : undefined;
  const unwatch = token ? hub.credentials.watch(hashToken(token), revoked) : opts.watchCredential?.(revoked);
  const unwatchMember = opts.member
    ? hub.memberships.watch(opts.member, opts.workspace, () => closeRevoked('membership revoked'))
    : undefined;

  function finish() {
    if (closed) return;
    closed = true;
    clearInterval(pinger);
    clearInterval(beater);
    unwatch?.();
    unwatchMember?.();
    sub.stop();
  }

  socket.on('pong', () => (alive = true));
  socket.on('close', finish);
  socket.on('error', finish);
  socket.on('message', (data, isBinary) => {
    alive = true;
    try {
      if (isBinary) throw new ProtocolError('binary frames are not accepted', TailCloseCode.policy);
      parseTailMessage(Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data as Buffer), 'tail-client');
      heartbeat();
    } catch (err) {
      const code = err instanceof ProtocolError ? err.closeCode : TailCloseCode.policy;
      finish();
      socket.close(code, err instanceof ProtocolError ? err.message : 'invalid frame');
    }
  });

  const welcome: TailWelcome = {
    type: 'welcome',
    workspace: opts.workspace,
    epoch: start.info.epoch,
    head: start.info.head,
    first: start.info.first,
    since: start.since,
    heartbeatMs: tunables.heartbeatMs,
  };
  send(JSON.stringify(welcome));
  if (start.resync) sink.resync(start.resync);
  sub.start().then(heartbeat, (err: unknown) => {
    opts.log.error({ err }, 'event tail failed');
    finish();
    socket.close(1011, 'internal error');
  });
}
