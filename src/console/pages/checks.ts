import { html } from '../html.js';
import { when } from '../parts/format.js';
import { usePolled, useResource, useStream, useThrottled } from '../parts/hooks.js';
import { ALERT_EVENTS, StatusBadge, type AlertDoc } from '../parts/monitoring.js';
import { Live } from './instances.js';

/** How often the list is read again (check definitions change without an event). */
const REFRESH_MS = 1000;

interface CheckDoc {
  id: string;
  name: string;
  owner: string;
  description?: string;
  command?: string;
  builtin?: { type: string; params?: Record<string, string | number> };
  interval: number;
  timeout?: number;
  thresholds?: { warning?: number; critical?: number };
  target?: { tags?: string[]; box?: string };
  version: number;
  updated: string;
}

function runs(c: CheckDoc): string {
  if (c.command) return c.command;
  const params = Object.entries(c.builtin?.params ?? {}).map(([k, v]) => `${k}=${v}`);
  return `built-in ${c.builtin?.type ?? '?'}${params.length ? ` (${params.join(', ')})` : ''}`;
}

function targets(c: CheckDoc): string {
  const parts = [
    ...(c.target?.tags?.length ? [`tags ${c.target.tags.join(', ')}`] : []),
    ...(c.target?.box ? [`box ${c.target.box}`] : []),
  ];
  return parts.length ? parts.join('; ') : `every machine of ${c.owner}`;
}

/** The machines where a check is not OK right now: its open alerts, worst first. */
function NotOk(props: { alerts: AlertDoc[] }) {
  if (!props.alerts.length) return html`<span class="muted">none</span>`;
  const rank = (a: AlertDoc) => ['critical', 'unknown', 'warning'].indexOf(a.severity);
  return html`<ul class="plain">
    ${[...props.alerts]
      .sort((a, b) => rank(a) - rank(b))
      .map(
        (a) =>
          html`<li key=${a.id}>
            <${StatusBadge} status=${a.severity} />
            <a href=${`#/instances/${encodeURIComponent(a.instance)}`}>${a.machine}</a>
          </li>`,
      )}
  </ul>`;
}

/**
 * The checks repository of the user's workspaces, with the machines where each check is not OK
 * (its open alerts, live from the alert events). Every machine's state of every check, OK ones
 * too, is on its instance's page (Checks section), next to that instance's metric charts.
 */
export function Checks() {
  const { data, error } = usePolled<CheckDoc[]>('/services/msa/checks', REFRESH_MS);
  const alerts = useResource<AlertDoc[]>('/services/msa/alerts?state=open');
  const refresh = useThrottled(alerts.reload, 250);
  const connected = useStream({ type: ALERT_EVENTS.join(',') }, refresh, refresh);
  const list = [...(data ?? [])].sort((a, b) => a.name.localeCompare(b.name));
  const openOf = (c: CheckDoc) => (alerts.data ?? []).filter((a) => a.check === c.name && a.owner === c.owner);
  return html`<main id="main">
    <h1>Checks</h1>
    <${Live} connected=${connected} />
    <p class="muted">Every machine’s state of each check is on its instance’s page; alerts are under Alerts.</p>
    ${error && html`<p class="error" role="alert">${error}</p>`} ${!data && !error && html`<p>Loading…</p>`}
    ${
      data &&
      html`<table class="list" aria-label="Checks">
          <thead>
            <tr>
              <th scope="col">Name</th>
              <th scope="col">Runs</th>
              <th scope="col">Every</th>
              <th scope="col">Machines</th>
              <th scope="col">Not OK on</th>
              <th scope="col">Version</th>
              <th scope="col">Updated</th>
            </tr>
          </thead>
          <tbody>
            ${list.map(
              (c) =>
                html`<tr key=${c.id} data-check=${c.name}>
                  <td>${c.name}${c.description ? html`<br /><span class="muted">${c.description}</span>` : ''}</td>
                  <td class="what" title=${runs(c)}><code>${runs(c)}</code></td>
                  <td>${c.interval}s${c.timeout ? html` <span class="muted">(timeout ${c.timeout}s)</span>` : ''}</td>
                  <td>${targets(c)}</td>
                  <td class="not-ok"><${NotOk} alerts=${openOf(c)} /></td>
                  <td>${c.version}</td>
                  <td><time>${when(c.updated)}</time></td>
                </tr>`,
            )}
          </tbody>
        </table>
        ${list.length === 0 && html`<p>No checks yet: create one with <code>ebcli checks create</code>.</p>`}`
    }
  </main>`;
}
