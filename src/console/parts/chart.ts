import { html } from '../html.js';

/**
 * A small line chart drawn as SVG by hand. Why not a chart library: the console needs one kind of
 * chart (one series over time, min/max and time labels); a few dozen lines of SVG do it with no
 * added bytes, while the smallest maintained chart libraries (uPlot ≈ 20 KB compressed, Chart.js
 * ≈ 70 KB) would spend a large part of the console's 150 KB compressed budget on features it does
 * not use. SVG also scales with the page, prints, and is read by screen readers through its label.
 */

export interface Point {
  ts: number;
  value: number;
}

const W = 640;
const H = 180;
const PAD = { left: 56, right: 12, top: 12, bottom: 24 };

/** A value as a short label: 3 significant digits, k/M for large ones. */
export function short(v: number): string {
  const a = Math.abs(v);
  if (a >= 1e6) return `${+(v / 1e6).toPrecision(3)}M`;
  if (a >= 1e4) return `${+(v / 1e3).toPrecision(3)}k`;
  return String(+v.toPrecision(3));
}

/** `HH:MM` (or `HH:MM:SS` when the range is short) in UTC, as the console shows every time. */
function clock(ts: number, seconds: boolean): string {
  return new Date(ts).toISOString().slice(11, seconds ? 19 : 16);
}

/**
 * One series of `points` over [from, to]. Points further apart than 1.5 steps are not joined, so
 * a gap in the data shows as a gap in the line.
 */
export function LineChart(props: { points: Point[]; from: number; to: number; stepMs: number; label: string }) {
  const { points, from, to, stepMs } = props;
  const values = points.map((p) => p.value);
  let lo = values.length ? Math.min(...values) : 0;
  let hi = values.length ? Math.max(...values) : 1;
  if (lo === hi) {
    lo -= 1;
    hi += 1;
  }
  const x = (ts: number) => PAD.left + ((ts - from) / Math.max(1, to - from)) * (W - PAD.left - PAD.right);
  const y = (v: number) => PAD.top + (1 - (v - lo) / (hi - lo)) * (H - PAD.top - PAD.bottom);
  let d = '';
  points.forEach((p, i) => {
    const join = i > 0 && p.ts - points[i - 1]!.ts <= stepMs * 1.5;
    d += `${join ? 'L' : 'M'}${x(p.ts).toFixed(1)} ${y(p.value).toFixed(1)}`;
  });
  const last = points.at(-1);
  const summary = last
    ? `${props.label}: ${points.length} points, last ${short(last.value)}, lowest ${short(Math.min(...values))}, highest ${short(Math.max(...values))}`
    : `${props.label}: no data in this range`;
  const secs = to - from <= 3_600_000;
  return html`<svg
    class="chart"
    viewBox=${`0 0 ${W} ${H}`}
    role="img"
    aria-label=${summary}
    data-points=${points.length}
  >
    <title>${summary}</title>
    <line class="axis" x1=${PAD.left} y1=${H - PAD.bottom} x2=${W - PAD.right} y2=${H - PAD.bottom} />
    <line class="axis" x1=${PAD.left} y1=${PAD.top} x2=${PAD.left} y2=${H - PAD.bottom} />
    <text x=${PAD.left - 6} y=${PAD.top + 4} text-anchor="end">${short(hi)}</text>
    <text x=${PAD.left - 6} y=${H - PAD.bottom} text-anchor="end">${short(lo)}</text>
    <text x=${PAD.left} y=${H - 6}>${clock(from, secs)}</text>
    <text x=${W - PAD.right} y=${H - 6} text-anchor="end">${clock(to, secs)}</text>
    <path class="line" d=${d} />
    ${points.length <= 240 && points.map((p) => html`<circle class="pt" cx=${x(p.ts)} cy=${y(p.value)} r="2" />`)}
  </svg>`;
}
