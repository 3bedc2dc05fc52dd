import { useState } from 'preact/hooks';
import { html } from '../html.js';
import { when } from '../parts/format.js';
import { useStream } from '../parts/hooks.js';
import type { StreamEvent } from '../stream.js';
import { Live } from './instances.js';

const KEEP = 500;

function summary(e: StreamEvent): string {
  const d = e.data;
  switch (e.type) {
    case 'instance.state':
      return `state ${d.state}${d.operation?.event ? ` (${d.operation.event})` : ''}`;
    case 'activity':
      return String(d.text ?? '');
    case 'script.output':
      return (d.lines ?? [d.line]).join(' ⏎ ');
    case 'script.start':
    case 'script.finish':
      return `${d.event ?? ''} ${d.box ?? ''} ${d.status ?? ''}`.trim();
    default:
      return d.machine ? `machine ${d.machine}` : '';
  }
}

/** The workspace event stream: the last events, then every new one as it commits. */
export function Events() {
  const [events, setEvents] = useState<StreamEvent[]>([]);
  const connected = useStream({ tail: '100' }, (fresh) =>
    setEvents((old) => [...fresh.reverse(), ...old].slice(0, KEEP)),
  );
  return html`<main id="main">
    <h1>Events</h1>
    <${Live} connected=${connected} />
    <table class="list" aria-label="Events">
      <thead>
        <tr>
          <th scope="col">Seq</th>
          <th scope="col">Time</th>
          <th scope="col">Type</th>
          <th scope="col">Instance</th>
          <th scope="col">What</th>
        </tr>
      </thead>
      <tbody>
        ${events.map(
          (e) =>
            html`<tr key=${e.seq}>
              <td>${e.seq}</td>
              <td><time>${when(e.created)}</time></td>
              <td>${e.type}</td>
              <td>${e.instance ? html`<a href=${`#/instances/${e.instance}`}>${e.instance}</a>` : ''}</td>
              <td class="what">${summary(e)}</td>
            </tr>`,
        )}
      </tbody>
    </table>
  </main>`;
}
