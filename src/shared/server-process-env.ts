/**
 * The one glibc malloc setting a control-plane process starts with: allocations of 64 KiB and
 * more get a mapping of their own (`glibc.malloc.mmap_threshold`) instead of a piece of the brk
 * heap.
 *
 * Why (issue 12, T4): every TLS connection holds a 64 KiB read buffer for as long as it lives
 * (Node's TLS layer sizes it by libuv's 64 KiB read hint); an idle agent's small frames only ever
 * write its first page or two. Carved from the brk heap, the buffer lands on memory that other work
 * (SQL statements, JSON, TLS handshakes) dirtied and freed, and is resident whole; mapped on its
 * own it costs only the pages written. bench/t04-idle-agents.ts measured about 9 KiB less per idle
 * agent connection at 3,000 agents (the bare TLS websocket server it is compared with, whose heap
 * holds nothing else, gains ~0). Larger request bodies and blobs also get their own mapping and go
 * back to the system when freed; each costs an mmap/munmap pair.
 *
 * Set by the CLI when it starts the server in the background (src/cli/daemon.ts), in the
 * environment, because glibc reads it only when a process starts. A value the user set for
 * GLIBC_TUNABLES' mmap_threshold or MALLOC_MMAP_THRESHOLD_ wins. Other C libraries ignore it. The
 * server never passes it on: machines' agents get an environment built from scratch.
 */
export const SERVER_MALLOC_TUNABLE = 'glibc.malloc.mmap_threshold=65536';

/** `env` with {@link SERVER_MALLOC_TUNABLE} added to GLIBC_TUNABLES (unless the user set the threshold). */
export function serverProcessEnv(env: NodeJS.ProcessEnv = process.env): NodeJS.ProcessEnv {
  const tunables = env.GLIBC_TUNABLES ?? '';
  if (/(^|:)glibc\.malloc\.mmap_threshold=/.test(tunables) || env.MALLOC_MMAP_THRESHOLD_ !== undefined) return env;
  return { ...env, GLIBC_TUNABLES: tunables ? `${tunables}:${SERVER_MALLOC_TUNABLE}` : SERVER_MALLOC_TUNABLE };
}
