import { Component } from 'preact';
import { useMemo, useState } from 'preact/hooks';
import { api } from '../api.js';
import { html } from '../html.js';
import { when, instanceHref } from '../parts/format.js';
import { useResource, useStream } from '../parts/hooks.js';
import { displayState, StateBadge } from '../parts/state.js';
import type { StreamEvent } from '../stream.js';

export interface InstanceDoc {
  id: string;
  name: string;
  state: string;
  operation?: { event?: string } | null;
  box: string;
  boxes?: { id: string; name: string; variables?: any[]; version?: any }[];
  tags?: string[];
  updated: string;
  [key: string]: any;
}

const STATES = ['running', 'processing', 'stopped', 'failed', 'terminated'];

/** Applies `instance.state` events to a list; returns ids it does not know (new deploys). */
export function applyStates(list: InstanceDoc[], events: StreamEvent[]): { list: InstanceDoc[]; unknown: string[] } {
  const byId = new Map(list.map((i) => [i.id, i]));
  const unknown = new Set<string>();
  for (const e of events) {
    if (e.type !== 'instance.state' || !e.instance) continue;
    const known = byId.get(e.instance);
    if (!known) {
      unknown.add(e.instance);
      continue;
    }
    byId.set(e.instance, { ...known, state: e.data.state, operation: e.data.operation, updated: e.data.updated });
  }
  return { list: [...byId.values()], unknown: [...unknown] };
}

export function Instances() {
  const { data, error, set, reload } = useResource<InstanceDoc[]>('/services/instances');
  const [tag, setTag] = useState('');
  const [state, setState] = useState('');
  const connected = useStream(
    { type: 'instance.state' },
    (events) => {
      const { unknown } = applyStates(data ?? [], events);
      set((old) => (old ? applyStates(old, events).list : old));
      for (const id of unknown) {
        api<InstanceDoc>('GET', `/services/instances/${id}`).then(
          (doc) => set((old) => (old && !old.some((i) => i.id === doc.id) ? [doc, ...old] : old)),
          () => {},
        );
      }
    },
    reload,
  );
  const tags = useMemo(() => [...new Set((data ?? []).flatMap((i) => i.tags ?? []))].sort(), [data]);
  const shown = (data ?? [])
    .filter((i) => !tag || (i.tags ?? []).includes(tag))
    .filter((i) => !state || displayState(i as never) === state)
    .sort((a, b) => (a.updated < b.updated ? 1 : -1));
  return html`<main id="main">
    <h1>Instances</h1>
    <${Live} connected=${connected} />
    <div class="filters" role="search" aria-label="Filter instances">
      <label for="f-state">State</label>
      <select id="f-state" value=${state} onChange=${(e: Event) => setState((e.target as HTMLSelectElement).value)}>
        <option value="">any</option>
        ${STATES.map((s) => html`<option value=${s}>${s}</option>`)}
      </select>
      <label for="f-tag">Tag</label>
      <select id="f-tag" value=${tag} onChange=${(e: Event) => setTag((e.target as HTMLSelectElement).value)}>
        <option value="">any</option>
        ${tags.map((t) => html`<option value=${t}>${t}</option>`)}
      </select>
    </div>
    ${error && html`<p class="error" role="alert">${error}</p>`} ${!data && !error && html`<p>Loading…</p>`}
    ${
      data &&
      html`<table class="list" aria-label="Instances">
          <thead>
            <tr>
              <th scope="col">Name</th>
              <th scope="col">State</th>
              <th scope="col">Box</th>
              <th scope="col">Tags</th>
              <th scope="col">Updated</th>
            </tr>
          </thead>
          <tbody>
            ${shown.map((i) => html`<${Row} key=${i.id} i=${i} />`)}
          </tbody>
        </table>
        ${shown.length === 0 && html`<p>No instances${tag || state ? ' match the filter' : ''}.</p>`}`
    }
  </main>`;
}

/**
 * One instance row. Events replace only the changed instance's object, so a row re-renders only
 * when its own instance changed: an update costs one row, not the whole list (bench/t17-console.ts).
 */
class Row extends Component<{ i: InstanceDoc }> {
  override shouldComponentUpdate(next: { i: InstanceDoc }): boolean {
    return next.i !== this.props.i;
  }
  override render() {
    const { i } = this.props;
    return html`<tr data-instance=${i.id}>
      <td><a href=${instanceHref(i)}>${i.name}</a> <span class="muted">${i.id}</span></td>
      <td><${StateBadge} instance=${i} /></td>
      <td>${i.boxes?.[0]?.name ?? i.box}</td>
      <td>${(i.tags ?? []).map((t) => html`<span class="tag">${t}</span>`)}</td>
      <td><time>${when(i.updated)}</time></td>
    </tr>`;
  }
}

/** Whether the page's live feed is connected (announced politely to screen readers). */
export function Live(props: { connected: boolean }) {
  return html`<p class=${props.connected ? 'live on' : 'live off'} role="status">
    ${props.connected ? 'Live' : 'Connecting…'}
  </p>`;
}
