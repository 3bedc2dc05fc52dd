/**
 * The floor under any server's memory per connection: what a bare Node websocket server over TLS
 * (node:https + ws, echoing) holds per connected client, measured the way bench/lib/fleet-load.ts
 * measures the control plane (RSS after a full GC, idle vs all connected). Run as a child process
 * (`node bench/lib/tls-websocket-baseline.ts serve <certDir>`) so its RSS is its own; the parent
 * connects the clients.
 */
import { fork } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:https';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import WebSocket, { WebSocketServer } from 'ws';
import { memoryMap, type MemoryMap } from './malloc-heap.js';

interface Usage {
  rss: number;
  heapUsed: number;
  heapTotal: number;
}

/** Per connection, in KiB: process.memoryUsage() growth and where the RSS grew (malloc-heap.ts). */
export interface BareUsage extends Usage {
  map: MemoryMap;
  /** The same, read again after the clients idled for `idleMs` (when asked). */
  afterIdle?: { rss: number; heapTotal: number; map: MemoryMap };
}

function serve(dir: string): void {
  setFlagsFromString('--expose-gc');
  const gc = runInNewContext('gc') as () => void;
  const server = createServer({
    key: readFileSync(join(dir, 'server-key.pem')),
    cert: readFileSync(join(dir, 'server.pem')),
  });
  const wss = new WebSocketServer({ server });
  wss.on('connection', (ws) => ws.on('message', (d) => ws.send(d)));
  server.listen(0, '127.0.0.1', () => process.send!({ port: (server.address() as { port: number }).port }));
  process.on('message', (m) => {
    if (m !== 'usage') return;
    gc();
    process.send!({ usage: process.memoryUsage() });
  });
  process.on('disconnect', () => process.exit(0));
}

/**
 * KiB per connection a bare TLS websocket server holds with `n` clients connected, each having
 * sent one `frameBytes` frame; with `idleMs`, also once they have idled that long. `tlsDir` holds the control plane's server.pem, server-key.pem, ca.pem.
 */
export async function bareTlsWebsocketKiB(tlsDir: string, n: number, frameBytes = 600, idleMs = 0): Promise<BareUsage> {
  const child = fork(fileURLToPath(import.meta.url), ['serve', tlsDir], { execArgv: ['--import', 'tsx'] });
  try {
    const port = await new Promise<number>((resolve, reject) => {
      child.once('message', (m) => resolve((m as { port: number }).port));
      child.once('exit', (code) => reject(new Error(`baseline server exited with ${code}`)));
    });
    const usage = () =>
      new Promise<Usage>((resolve) => {
        child.once('message', (m) => resolve((m as { usage: Usage }).usage));
        child.send('usage');
      });
    const before = await usage();
    const mapBefore = memoryMap(child.pid!);
    const ca = readFileSync(join(tlsDir, 'ca.pem'));
    const sockets: WebSocket[] = [];
    for (let i = 0; i < n; i += 32) {
      await Promise.all(
        Array.from(
          { length: Math.min(32, n - i) },
          () =>
            new Promise<void>((resolve, reject) => {
              const ws = new WebSocket(`wss://127.0.0.1:${port}`, { ca, perMessageDeflate: false });
              sockets.push(ws);
              ws.once('open', () => ws.send('x'.repeat(frameBytes)));
              ws.once('message', () => resolve());
              ws.once('error', reject);
            }),
        ),
      );
    }
    const after = await usage();
    const mapAfter = memoryMap(child.pid!);
    let afterIdle: BareUsage['afterIdle'];
    if (idleMs > 0) {
      await new Promise((r) => setTimeout(r, idleMs));
      const later = await usage();
      afterIdle = {
        rss: Math.round(((later.rss - before.rss) / 1024 / n) * 100) / 100,
        heapTotal: Math.round(((later.heapTotal - before.heapTotal) / 1024 / n) * 100) / 100,
        map: perConnection(mapBefore, memoryMap(child.pid!), n),
      };
    }
    for (const ws of sockets) ws.terminate();
    return {
      ...(afterIdle ? { afterIdle } : {}),
      rss: Math.round(((after.rss - before.rss) / 1024 / n) * 100) / 100,
      heapUsed: Math.round(((after.heapUsed - before.heapUsed) / 1024 / n) * 100) / 100,
      heapTotal: Math.round(((after.heapTotal - before.heapTotal) / 1024 / n) * 100) / 100,
      map: perConnection(mapBefore, mapAfter, n),
    };
  } finally {
    child.kill();
  }
}

/** Growth of each part of a memory map, per connection, in KiB. */
export const perConnection = (a: MemoryMap, b: MemoryMap, n: number): MemoryMap => ({
  heap: Math.round(((b.heap - a.heap) / n) * 100) / 100,
  anon: Math.round(((b.anon - a.anon) / n) * 100) / 100,
  file: Math.round(((b.file - a.file) / n) * 100) / 100,
});

if (process.argv[2] === 'serve') serve(process.argv[3]!);
