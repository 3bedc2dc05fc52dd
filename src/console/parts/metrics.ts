import { useEffect, useState } from 'preact/hooks';
import { html } from '../html.js';
import { LineChart, short, type Point } from './chart.js';
import { usePolled } from './hooks.js';

/** How often the charts are read again while shown (new samples emit no event). */
const REFRESH_MS = 1000;
/** New metric names are rarer: the list of them is read every 5 s. */
const NAMES_REFRESH_MS = 5000;
const RANGES = ['5m', '15m', '1h', '6h', '24h', '7d'];
const STEPS = ['1s', '10s', '1m', '5m', '1h'];
const AGGREGATES = ['avg', 'min', 'max', 'last', 'p95'];

/** `GET /services/msa/metrics` (src/server/monitoring/data-routes.ts). */
interface MetricsDoc {
  from: number;
  to: number;
  step: number;
  metrics: string[];
  series: { machine: string; metric: string; points: Point[] }[];
}

function Select(props: { id: string; label: string; value: string; options: string[]; set: (v: string) => void }) {
  return html`<label for=${props.id}>${props.label}</label>
    <select
      id=${props.id}
      value=${props.value}
      onChange=${(e: Event) => props.set((e.target as HTMLSelectElement).value)}
    >
      ${props.options.map((o) => html`<option value=${o}>${o}</option>`)}
    </select>`;
}

/**
 * One line chart per machine of an instance, for a chosen metric, range, step and aggregate,
 * from the MSA metrics query; read again every second while shown.
 */
export function MetricCharts(props: { instance: string }) {
  const [metric, setMetric] = useState('');
  const [since, setSince] = useState('15m');
  const [step, setStep] = useState('10s');
  const [aggregate, setAggregate] = useState('avg');
  const q = new URLSearchParams({ instance: props.instance, since, step, aggregate, ...(metric ? { metric } : {}) });
  // The names of every metric the machines reported (a query without `metric`, one bucket wide).
  const names = usePolled<MetricsDoc>(
    `/services/msa/metrics?instance=${encodeURIComponent(props.instance)}&since=1m&step=1m`,
    NAMES_REFRESH_MS,
  );
  const { data, error } = usePolled<MetricsDoc>(metric ? `/services/msa/metrics?${q}` : undefined, REFRESH_MS);
  const known = names.data?.metrics ?? [];
  useEffect(() => {
    if (!metric && known[0]) setMetric(known[0]);
  }, [metric, known[0]]);
  const series = (data?.series ?? []).filter((s) => s.metric === metric);
  const fail = error ?? names.error;
  return html`<section aria-labelledby="h-metrics">
    <h2 id="h-metrics">Metrics</h2>
    ${!metric && !fail && html`<p>No metric has been reported by this instance’s machines yet.</p>`}
    ${
      metric &&
      html`<div class="filters" role="group" aria-label="Chart settings">
        <${Select} id="m-metric" label="Metric" value=${metric} options=${known} set=${setMetric} />
        <${Select} id="m-range" label="Range" value=${since} options=${RANGES} set=${setSince} />
        <${Select} id="m-step" label="Step" value=${step} options=${STEPS} set=${setStep} />
        <${Select} id="m-agg" label="Aggregate" value=${aggregate} options=${AGGREGATES} set=${setAggregate} />
      </div>`
    }
    ${fail && html`<p class="error" role="alert">${fail}</p>`}
    ${data && series.length === 0 && html`<p>No ${metric} samples in the last ${since}.</p>`}
    ${
      data &&
      series.map(
        (s) =>
          html`<figure key=${s.machine} class="metric" data-machine=${s.machine}>
            <figcaption>
              ${s.metric} on <strong>${s.machine}</strong>
              <span class="muted">
                · ${aggregate} per ${step}${s.points.length ? ` · last ${short(s.points.at(-1)!.value)}` : ''}</span
              >
            </figcaption>
            <${LineChart}
              points=${s.points}
              from=${data.from}
              to=${data.to}
              stepMs=${data.step * 1000}
              label=${`${s.metric} on ${s.machine}`}
            />
          </figure>`,
      )
    }
  </section>`;
}
