/**
 * What Ctrl-C says. While a command waits for operations that run on the server, an interrupt
 * stops only the waiting: the message says so and how to pick the wait up again.
 */
const waiting = new Set<string>();

/** The command now waits for these instances' operations. */
export function waitingFor(ids: Iterable<string>): void {
  for (const id of ids) waiting.add(id);
}

/** The wait for this instance is over. */
export function doneWaiting(id: string): void {
  waiting.delete(id);
}

/** The lines printed on Ctrl-C. */
export function interruptMessage(): string {
  if (waiting.size === 0) return 'interrupted';
  const ids = [...waiting].join(' ');
  return `interrupted: the operation continues on the server; re-attach with \`ebcli wait ${ids}\``;
}
