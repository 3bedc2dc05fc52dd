import { WebSocket } from 'ws';
import type { TestServer } from '../helpers/server.js';
import { appendEvents, type NewEvent, type StoredEvent } from '../../src/server/events/log.js';
import { parseTailMessage, type TailEvent, type TailServerMessage } from '../../src/shared/protocol.js';

/** Appends events in one transaction and wakes the tails, as the workflow engine and agent hub do. */
export async function append(t: TestServer, events: NewEvent[]): Promise<number[]> {
  const seqs = await t.server.db.transaction().execute((trx) => appendEvents(trx, events));
  for (const ws of new Set(events.map((e) => e.workspace))) t.server.app.eventLog.bus.committed(ws);
  return seqs;
}

/** The text of a one-line `script.output` event. */
export const lineOf = (e: TailEvent | StoredEvent): string | undefined =>
  e.type === 'script.output' && 'line' in e.data ? e.data.line : undefined;

/** `n` script.output events for one instance in the admin workspace. */
export function lines(n: number, instanceId = 'i-aaaaaa', workspace = 'admin', from = 0): NewEvent[] {
  return Array.from({ length: n }, (_, i) => ({
    workspace,
    type: 'script.output' as const,
    instanceId,
    data: { executionId: `${instanceId}-x`, line: `line ${from + i}`, stream: 'stdout' as const },
  }));
}

/** A new workspace holding `n` lines, of which the event log then keeps only the last `keep`. */
export async function prunedWorkspace(t: TestServer, name: string, n: number, keep: number): Promise<number[]> {
  await t.call('POST', '/services/workspaces', { body: { name } });
  const seqs = await append(t, lines(n, 'i-aaaaaa', name));
  t.server.app.eventLog.tunables.retentionMaxEvents = keep;
  await t.server.app.eventLog.prune();
  t.server.app.eventLog.tunables.retentionMaxEvents = 1_000_000;
  return seqs;
}

export function tailUrl(t: TestServer, query = ''): string {
  return `${t.url.replace(/^https:/, 'wss:')}/services/events${query ? `?${query}` : ''}`;
}

/** A raw tail connection recording every validated server message. */
export class RawTail {
  readonly messages: TailServerMessage[] = [];
  closeCode: number | undefined;
  private waiters: (() => void)[] = [];

  constructor(readonly ws: WebSocket) {
    ws.on('message', (data) => {
      this.messages.push(parseTailMessage(data as Buffer, 'tail-server'));
      this.notify();
    });
    ws.on('close', (code) => {
      this.closeCode = code;
      this.notify();
    });
    ws.on('error', () => undefined);
  }

  private notify() {
    for (const w of this.waiters.splice(0)) w();
  }

  get events(): TailEvent[] {
    return this.messages.flatMap((m) => (m.type === 'events' ? m.events : []));
  }

  /** Resolves once `pred` holds (checked on every message), rejects after `ms`. */
  until(pred: () => boolean, ms = 10_000): Promise<void> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`condition not met in ${ms} ms`)), ms);
      const check = () => {
        if (pred()) {
          clearTimeout(timer);
          resolve();
        } else this.waiters.push(check);
      };
      check();
    });
  }

  close(): void {
    this.ws.close();
  }
}

export function openTail(t: TestServer, query = '', token: string | null = t.token): Promise<RawTail> {
  const headers: Record<string, string> = token ? { 'elasticbox-token': token } : {};
  const ws = new WebSocket(tailUrl(t, query), { ca: t.server.ca, headers });
  const tail = new RawTail(ws);
  return new Promise((resolve, reject) => {
    ws.once('open', () => resolve(tail));
    ws.once('unexpected-response', (_req, res) => reject(new Error(`upgrade refused: ${res.statusCode}`)));
    ws.once('error', reject);
  });
}

/** The HTTP status an upgrade attempt gets (101 when it is accepted), and whether any message came. */
export function upgradeStatus(t: TestServer, query: string, headers: Record<string, string>): Promise<number> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(tailUrl(t, query), { ca: t.server.ca, headers });
    ws.on('upgrade', (res) => {
      resolve(res.statusCode ?? 0);
      ws.terminate();
    });
    ws.on('unexpected-response', (_req, res) => {
      resolve(res.statusCode ?? 0);
      res.resume();
      ws.terminate();
    });
    ws.on('error', (err) => reject(err));
  });
}
