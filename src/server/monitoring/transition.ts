import { HISTORY, isFlapping, type FlapThresholds } from '../../shared/monitoring/flapping.js';

/** What the monitoring side remembers of one (machine, check) pair between results. */
export interface PairState {
  status: number;
  occurrences: number;
  history: number[];
  flapping: boolean;
}

export type AlertAction = 'open' | 'update' | 'resolve' | 'none';

export interface Transition {
  state: PairState;
  action: AlertAction;
  /** The flapping flag changed with this result. */
  flappingChanged: boolean;
}

/**
 * One result's effect on a pair: the new state, and what happens to its alert. An alert is open
 * while the status is not OK or the pair is flapping; so a flapping check keeps one alert open
 * (marked flapping) instead of opening and resolving it on every change, and the alert resolves
 * once the pair is OK and no longer flapping.
 */
export function transition(
  prev: PairState | undefined,
  status: number,
  alertOpen: boolean,
  flap: FlapThresholds,
): Transition {
  const history = [...(prev?.history ?? []), status].slice(-HISTORY);
  const flapping = isFlapping(history, prev?.flapping ?? false, flap);
  const occurrences = prev && prev.status === status ? prev.occurrences + 1 : 1;
  const state = { status, occurrences, history, flapping };
  const wantOpen = status !== 0 || flapping;
  const action: AlertAction = wantOpen ? (alertOpen ? 'update' : 'open') : alertOpen ? 'resolve' : 'none';
  return { state, action, flappingChanged: flapping !== (prev?.flapping ?? false) };
}
