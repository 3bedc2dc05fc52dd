import { useState } from 'preact/hooks';
import { api } from '../api.js';
import { html } from '../html.js';
import { CheckStates } from '../parts/checks.js';
import { Confirm } from '../parts/confirm.js';
import { MASK, when } from '../parts/format.js';
import { useResource, useStream } from '../parts/hooks.js';
import { MetricCharts } from '../parts/metrics.js';
import { StateBadge } from '../parts/state.js';
import type { StreamEvent } from '../stream.js';
import { Live, type InstanceDoc } from './instances.js';

/** Log lines kept on the page (older ones scroll away). */
const MAX_LINES = 5000;

interface Line {
  key: string;
  machine: string;
  stream: string;
  text: string;
}

interface Operation {
  label: string;
  method: string;
  path: (id: string) => string;
}

const OPERATIONS: Operation[] = [
  { label: 'Reconfigure', method: 'PUT', path: (id) => `/services/instances/${id}/reconfigure` },
  { label: 'Shut down', method: 'PUT', path: (id) => `/services/instances/${id}/shutdown` },
  { label: 'Power on', method: 'PUT', path: (id) => `/services/instances/${id}/poweron` },
  { label: 'Terminate', method: 'DELETE', path: (id) => `/services/instances/${id}?operation=terminate` },
];

/** Variables as the instance runs them: the box's, with the instance's overrides applied. */
function variablesOf(doc: InstanceDoc): { name: string; type: string; value: string }[] {
  const overrides = new Map((doc.variables ?? []).map((v: any) => [`${v.scope ?? ''}/${v.name}`, v]));
  return (doc.boxes?.[0]?.variables ?? []).map((v: any) => {
    const o = overrides.get(`/${v.name}`) as any;
    return { name: v.name, type: v.type, value: String(o?.value ?? v.value ?? '') };
  });
}

export function Instance(props: { id: string }) {
  const path = `/services/instances/${encodeURIComponent(props.id)}`;
  const { data: doc, error, reload } = useResource<InstanceDoc>(path);
  const [activity, setActivity] = useState<{ key: number; text: string; created: string; level: string }[]>([]);
  const [lines, setLines] = useState<Line[]>([]);
  const [agents, setAgents] = useState<Record<string, string>>({});
  const [asking, setAsking] = useState<Operation | undefined>(undefined);
  const [outcome, setOutcome] = useState<{ ok: boolean; text: string } | undefined>(undefined);

  const onEvents = (events: StreamEvent[]) => {
    const acts: typeof activity = [];
    const out: Line[] = [];
    const seen: Record<string, string> = {};
    let changed = false;
    for (const e of events) {
      if (e.type === 'activity')
        acts.push({ key: e.seq, text: e.data.text, created: e.data.created, level: e.data.level });
      else if (e.type === 'script.output') {
        const texts: string[] = e.data.lines ?? [e.data.line];
        texts.forEach((text, n) =>
          out.push({ key: `${e.seq}.${n}`, machine: e.data.machine ?? '', stream: e.data.stream, text }),
        );
      } else if (e.type === 'agent.connect') seen[e.data.machine] = 'online';
      else if (e.type === 'agent.disconnect' || e.type === 'agent.lost') seen[e.data.machine] = 'offline';
      else if (e.type === 'instance.state') changed = true;
    }
    if (acts.length) setActivity((old) => [...old, ...acts]);
    if (out.length) setLines((old) => [...old, ...out].slice(-MAX_LINES));
    if (Object.keys(seen).length) setAgents((old) => ({ ...old, ...seen }));
    if (changed) reload();
  };
  const onResync = () => {
    setActivity([]);
    setLines([]);
  };
  const connected = useStream({ instance: props.id, since: '0' }, onEvents, onResync);

  const run = async (op: Operation | undefined) => {
    setAsking(undefined);
    if (!op) return;
    try {
      await api(op.method, op.path(props.id));
      setOutcome({ ok: true, text: `${op.label}: started` });
    } catch (err) {
      setOutcome({ ok: false, text: `${op.label}: ${(err as Error).message}` });
    }
  };

  if (error)
    return html`<main id="main">
      <h1>Instance</h1>
      <p class="error" role="alert">${error}</p>
    </main>`;
  if (!doc)
    return html`<main id="main">
      <h1>Instance</h1>
      <p>Loading…</p>
    </main>`;
  const machines: { name: string; state: string }[] = doc.service?.machines ?? [];
  return html`<main id="main">
    <h1>${doc.name} <span class="muted">${doc.id}</span></h1>
    <${Live} connected=${connected} />
    <p>
      State: <${StateBadge} instance=${doc} /> · Box: ${doc.boxes?.[0]?.name ?? doc.box} · Updated: ${when(doc.updated)}
    </p>
    <div class="row" role="group" aria-label="Lifecycle">
      ${OPERATIONS.map(
        (op) =>
          html`<button type="button" class=${op.label === 'Terminate' ? 'danger' : ''} onClick=${() => setAsking(op)}>
            ${op.label}
          </button>`,
      )}
    </div>
    ${outcome && html`<p class=${outcome.ok ? 'ok' : 'error'} role="alert">${outcome.text}</p>`}
    <${Confirm}
      question=${asking && `${asking.label} instance ${doc.name}?`}
      onAnswer=${(yes: boolean) => run(yes ? asking : undefined)}
    />
    <section aria-labelledby="h-vars">
      <h2 id="h-vars">Variables</h2>
      <table class="list">
        <thead>
          <tr>
            <th scope="col">Name</th>
            <th scope="col">Type</th>
            <th scope="col">Value</th>
          </tr>
        </thead>
        <tbody>
          ${variablesOf(doc).map(
            (v) =>
              html`<tr key=${v.name}>
                <td>${v.name}</td>
                <td>${v.type}</td>
                <td>${v.type === 'Password' ? html`<span aria-label="hidden password">${MASK}</span>` : v.value}</td>
              </tr>`,
          )}
        </tbody>
      </table>
    </section>
    <section aria-labelledby="h-machines">
      <h2 id="h-machines">Machines</h2>
      <ul>
        ${machines.map(
          (m) => html`<li key=${m.name}>${m.name} · ${m.state} · agent ${agents[m.name] ?? 'not seen yet'}</li>`,
        )}
      </ul>
    </section>
    <${CheckStates} instance=${props.id} />
    <${MetricCharts} instance=${props.id} />
    <section aria-labelledby="h-activity">
      <h2 id="h-activity">Activity</h2>
      <ol class="activity">
        ${activity.map((a) => html`<li key=${a.key}><time>${when(a.created)}</time> ${a.text}</li>`)}
      </ol>
    </section>
    <section aria-labelledby="h-log">
      <h2 id="h-log">Log</h2>
      <div class="log" role="log" aria-labelledby="h-log" tabindex="0">
        ${lines.map((l) => html`<div key=${l.key} class=${`line ${l.stream}`}>${l.text}</div>`)}
      </div>
    </section>
  </main>`;
}
