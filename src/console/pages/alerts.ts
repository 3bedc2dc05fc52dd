import { useEffect, useRef, useState } from 'preact/hooks';
import { api } from '../api.js';
import { html } from '../html.js';
import { Confirm } from '../parts/confirm.js';
import { when } from '../parts/format.js';
import { useResource, useStream, useThrottled } from '../parts/hooks.js';
import { ALERT_EVENTS, StatusBadge, type AlertDoc } from '../parts/monitoring.js';
import { Live } from './instances.js';

const STATES = ['open', 'resolved', 'all'];
const SEVERITIES = ['critical', 'warning', 'unknown'];
/** Silence expiries offered (the MSA API takes any duration from 1s to 366d). */
const SILENCES = ['15m', '1h', '4h', '1d', '7d'];
/** Shortest time between two reads of the list during a burst of alert events. */
const RELOAD_MS = 250;

interface Action {
  alert: AlertDoc;
  kind: 'ack' | 'silence';
  duration: string;
}

function question(a: Action | undefined): string | undefined {
  if (!a) return undefined;
  const what = `${a.alert.check} on ${a.alert.machine}`;
  return a.kind === 'ack' ? `Acknowledge the alert ${what}?` : `Silence ${what} for ${a.duration}?`;
}

/**
 * The workspace's alerts. Live: every alert event (opened, changed, resolved, acknowledged,
 * silenced) makes the page read the list again, so what the server holds shows within a second.
 */
export function Alerts() {
  const [state, setState] = useState('open');
  const [severity, setSeverity] = useState('');
  const [silenceFor, setSilenceFor] = useState('1h');
  const [asking, setAsking] = useState<Action | undefined>(undefined);
  const [outcome, setOutcome] = useState<{ ok: boolean; text: string } | undefined>(undefined);
  // After an action the focus moves to its outcome (the button it left may now be disabled).
  const said = useRef<HTMLParagraphElement>(null);
  useEffect(() => said.current?.focus(), [outcome]);
  const q = new URLSearchParams({ state, ...(severity ? { severity } : {}) });
  const { data, error, reload, set } = useResource<AlertDoc[]>(`/services/msa/alerts?${q}`);
  // Every alert event re-reads the list (it carries what the list shows: acks, silences, resolves).
  const refresh = useThrottled(reload, RELOAD_MS);
  const connected = useStream({ type: ALERT_EVENTS.join(',') }, refresh, refresh);

  const run = async (a: Action | undefined) => {
    setAsking(undefined);
    if (!a) return;
    const path = `/services/msa/alerts/${encodeURIComponent(a.alert.id)}/${a.kind}`;
    try {
      const next = await api<AlertDoc>('PUT', path, a.kind === 'silence' ? { duration: a.duration } : undefined);
      set((old) => old?.map((x) => (x.id === next.id ? { ...x, ...next } : x)));
      const done = a.kind === 'ack' ? 'acknowledged' : `silenced for ${a.duration}`;
      setOutcome({ ok: true, text: `${a.alert.check} on ${a.alert.machine}: ${done}` });
    } catch (err) {
      setOutcome({ ok: false, text: `${a.alert.check} on ${a.alert.machine}: ${(err as Error).message}` });
    }
  };

  return html`<main id="main">
    <h1>Alerts</h1>
    <${Live} connected=${connected} />
    <div class="filters" role="search" aria-label="Filter alerts">
      <label for="f-astate">State</label>
      <select id="f-astate" value=${state} onChange=${(e: Event) => setState((e.target as HTMLSelectElement).value)}>
        ${STATES.map((s) => html`<option value=${s}>${s}</option>`)}
      </select>
      <label for="f-severity">Severity</label>
      <select
        id="f-severity"
        value=${severity}
        onChange=${(e: Event) => setSeverity((e.target as HTMLSelectElement).value)}
      >
        <option value="">any</option>
        ${SEVERITIES.map((s) => html`<option value=${s}>${s}</option>`)}
      </select>
      <label for="f-silence">Silence for</label>
      <select
        id="f-silence"
        value=${silenceFor}
        onChange=${(e: Event) => setSilenceFor((e.target as HTMLSelectElement).value)}
      >
        ${SILENCES.map((s) => html`<option value=${s}>${s}</option>`)}
      </select>
    </div>
    ${
      outcome &&
      html`<p ref=${said} tabindex="-1" class=${outcome.ok ? 'ok' : 'error'} role="alert">${outcome.text}</p>`
    }
    <${Confirm} question=${question(asking)} onAnswer=${(yes: boolean) => run(yes ? asking : undefined)} />
    ${error && html`<p class="error" role="alert">${error}</p>`} ${!data && !error && html`<p>Loading…</p>`}
    ${
      data &&
      html`<table class="list" aria-label="Alerts">
          <thead>
            <tr>
              <th scope="col">Severity</th>
              <th scope="col">State</th>
              <th scope="col">Check</th>
              <th scope="col">Instance · machine</th>
              <th scope="col">Message</th>
              <th scope="col">Occurrences</th>
              <th scope="col">Handling</th>
              <th scope="col">Opened</th>
              <th scope="col">Actions</th>
            </tr>
          </thead>
          <tbody>
            ${data.map(
              (a) =>
                html`<tr key=${a.id} data-alert=${a.id}>
                  <td><${StatusBadge} status=${a.severity} /></td>
                  <td>${a.state}${a.flapping ? html` <span class="tag">flapping</span>` : ''}</td>
                  <td>${a.check}</td>
                  <td>
                    <a href=${`#/instances/${encodeURIComponent(a.instance)}`}>${a.instance}</a>
                    <span class="muted"> · ${a.machine}</span>
                  </td>
                  <td class="what" title=${a.message}>${a.message}</td>
                  <td>${a.occurrences}</td>
                  <td class="handling">
                    ${a.acknowledged ? `acknowledged by ${a.acknowledged_by ?? '?'}` : ''}
                    ${a.acknowledged && a.silenced ? html`<br />` : ''} ${a.silenced ? 'silenced' : ''}
                  </td>
                  <td>
                    <time>${when(a.opened)}</time
                    >${a.resolved ? html`<br /><span class="muted">resolved ${when(a.resolved)}</span>` : ''}
                  </td>
                  <td>
                    ${
                      a.state === 'open' &&
                      html`<div class="row" role="group" aria-label=${`Handle ${a.check} on ${a.machine}`}>
                        <button
                          type="button"
                          disabled=${a.acknowledged}
                          onClick=${() => setAsking({ alert: a, kind: 'ack', duration: silenceFor })}
                        >
                          Acknowledge
                        </button>
                        <button
                          type="button"
                          onClick=${() => setAsking({ alert: a, kind: 'silence', duration: silenceFor })}
                        >
                          Silence
                        </button>
                      </div>`
                    }
                  </td>
                </tr>`,
            )}
          </tbody>
        </table>
        ${data.length === 0 && html`<p>No ${state === 'all' ? '' : `${state} `}alerts.</p>`}`
    }
  </main>`;
}
