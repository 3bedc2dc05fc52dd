import { messageOf } from '../../shared/monitoring/status.js';
import { html } from '../html.js';
import { when } from './format.js';
import { usePolled } from './hooks.js';
import { StatusBadge, type CheckState } from './monitoring.js';

/** How often check states are read again: a result that changes no state emits no event. */
const REFRESH_MS = 1000;

/** The state of every check on each of an instance's machines (`GET /services/msa/results`), live. */
export function CheckStates(props: { instance: string }) {
  const { data, error } = usePolled<CheckState[]>(
    `/services/msa/results?instance=${encodeURIComponent(props.instance)}`,
    REFRESH_MS,
  );
  const rows = [...(data ?? [])].sort((a, b) => a.machine.localeCompare(b.machine) || a.check.localeCompare(b.check));
  return html`<section aria-labelledby="h-checks">
    <h2 id="h-checks">Checks</h2>
    ${error && html`<p class="error" role="alert">${error}</p>`}
    ${data && rows.length === 0 && html`<p>No check has reported on this instance’s machines yet.</p>`}
    ${
      rows.length > 0 &&
      html`<table class="list" aria-labelledby="h-checks">
        <thead>
          <tr>
            <th scope="col">Machine</th>
            <th scope="col">Check</th>
            <th scope="col">Status</th>
            <th scope="col">Message</th>
            <th scope="col">Occurrences</th>
            <th scope="col">Last run</th>
          </tr>
        </thead>
        <tbody>
          ${rows.map(
            (s) =>
              html`<tr key=${`${s.machine}/${s.check_id}`} data-check=${s.check} data-machine=${s.machine}>
                <td>${s.machine}</td>
                <td>${s.check}</td>
                <td>
                  <${StatusBadge} status=${s.status} />${s.flapping ? html` <span class="tag">flapping</span>` : ''}
                  ${s.silenced_until ? html` <span class="muted">silenced until ${when(s.silenced_until)}</span>` : ''}
                </td>
                <td class="what" title=${s.output}>${messageOf(s.output)}</td>
                <td>${s.occurrences}</td>
                <td><time>${when(s.executed)}</time></td>
              </tr>`,
          )}
        </tbody>
      </table>`
    }
  </section>`;
}
