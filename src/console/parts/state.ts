import { displayState } from '../../shared/instance-state.js';
import { html } from '../html.js';

export { displayState };

/** An instance's display state (the CLI's: running, stopped, terminated, failed, processing) as a badge. */
export function StateBadge(props: { instance: { state: string; operation?: { event?: string } | null } }) {
  const s = displayState(props.instance as never);
  return html`<span class=${`badge state-${s}`}>${s}</span>`;
}
