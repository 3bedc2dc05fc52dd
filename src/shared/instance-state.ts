/**
 * An instance's display state (design choice in cam-api.md §3.4): running, stopped, terminated,
 * failed, processing. One rule for the CLI and the web console; it imports nothing, so the
 * browser bundle can use it.
 */

const ON_EVENTS = new Set(['deploy', 'poweron', 'reinstall', 'reconfigure', 'snapshot']);

export function displayState(i: { state: string; operation?: { event?: string } | null }): string {
  if (i.state === 'unavailable') return 'failed';
  if (i.state === 'processing') return 'processing';
  const event = i.operation?.event ?? '';
  if (event.startsWith('shutdown')) return 'stopped';
  if (event.startsWith('terminate')) return 'terminated';
  return ON_EVENTS.has(event) ? 'running' : i.state;
}
