// A check's chart: per point the mean and highest of what it measures (its value, for a
// system, process or command check), else its latency's median and 95th percentile;
// points with a down result marked, and the check's incidents shaded behind.

import uPlot from "uplot";
import "uplot/dist/uPlot.min.css";

import type { History, IncidentSpan, Measure } from "../client";
import { formatTime } from "../model";

export interface Series {
  times: number[];
  average: (number | null)[];
  worst: (number | null)[];
  down: (number | null)[];
}

/** The chart's columns from a history answer: times in seconds; the measured value's
 *  mean and highest when the check measures one, else latency's p50 and p95; a point with
 *  any down result is marked at its upper line (or 0 when it has none). */
export function series(history: History): Series {
  const out: Series = { times: [], average: [], worst: [], down: [] };
  const measured = history.measure !== null;
  for (const point of history.points) {
    const [average, worst] = measured ? [point.value_avg, point.value_max] : [point.p50, point.p95];
    out.times.push(Date.parse(point.t) / 1000);
    out.average.push(average);
    out.worst.push(worst);
    out.down.push(point.down > 0 ? (worst === null ? 0 : worst) : null);
  }
  return out;
}

/** A measured value with its unit: `23.4 %`, `1.52` (a load). */
export function formatMeasured(value: number | null | undefined, measure: Measure): string {
  if (value === null || value === undefined) return "—";
  const shown = Math.abs(value) >= 100 ? value.toFixed(0) : Number(value.toFixed(2)).toString();
  return measure.unit ? `${shown} ${measure.unit}` : shown;
}

function color(name: string, fallback: string): string {
  const value = getComputedStyle(document.documentElement).getPropertyValue(name).trim();
  return value || fallback;
}

/** The incidents' spans in seconds, clipped to the chart's window; an open one runs to
 *  its end. */
export function incidentBands(history: History, incidents: IncidentSpan[]): [number, number][] {
  const from = Date.parse(history.from) / 1000;
  const to = Date.parse(history.to) / 1000;
  const bands: [number, number][] = [];
  for (const incident of incidents) {
    const start = Date.parse(incident.started_at) / 1000;
    const end = incident.resolved_at === null ? to : Date.parse(incident.resolved_at) / 1000;
    if (end >= from && start <= to) bands.push([Math.max(start, from), Math.min(end, to)]);
  }
  return bands;
}

/** The chart, with `bands` (from `incidentBands`) shaded behind its lines. */
export function historyChart(container: HTMLElement, history: History, bands: [number, number][] = []): uPlot {
  const measure = history.measure;
  const data = series(history);
  const width = Math.max(320, container.clientWidth || 720);
  const axis = { stroke: color("--muted", "#666"), grid: { stroke: color("--line", "#ddd"), width: 1 } };
  // Times as the rest of the dashboard writes them: 24 h, local; days beyond a day.
  const span = (Date.parse(history.to) - Date.parse(history.from)) / 1000;
  const two = (n: number) => String(n).padStart(2, "0");
  const tick = (seconds: number) => {
    const at = new Date(seconds * 1000);
    const day = `${two(at.getMonth() + 1)}-${two(at.getDate())}`;
    if (span > 86_400 * 7) return day;
    return span > 86_400 * 1.5 ? `${day} ${two(at.getHours())}h` : `${two(at.getHours())}:${two(at.getMinutes())}`;
  };
  return new uPlot(
    {
      width,
      height: 220,
      hooks: { drawClear: [shadeIncidents(bands, color("--down-soft", "rgba(197, 48, 48, 0.12)"))] },
      scales: { x: { time: true, range: [Date.parse(history.from) / 1000, Date.parse(history.to) / 1000] } },
      axes: [{ ...axis, space: 70, values: (_: uPlot, splits: number[]) => splits.map(tick) }, { ...axis, label: measure ? measure.unit || measure.label : "ms", size: 60 }],
      series: [
        { value: (_: uPlot, seconds: number | null) => (seconds == null ? "--" : formatTime(new Date(seconds * 1000).toISOString())) },
        { label: measure ? `average ${measure.label}` : "median", stroke: color("--accent", "#3b82f6"), width: 2, spanGaps: false },
        { label: measure ? "highest" : "95th percentile", stroke: color("--muted", "#888"), width: 1, dash: [4, 4] },
        {
          label: "down",
          stroke: color("--down", "#c53030"),
          width: 0,
          points: { show: true, size: 7, fill: color("--down", "#c53030") },
        },
      ],
    },
    [data.times, data.average, data.worst, data.down],
    container,
  );
}

/** Shades each incident's span behind the lines. */
function shadeIncidents(bands: [number, number][], fill: string) {
  return (u: uPlot) => {
    const { ctx } = u;
    const { top, height } = u.bbox;
    ctx.save();
    ctx.fillStyle = fill;
    for (const [start, end] of bands) {
      const left = u.valToPos(start, "x", true);
      const right = u.valToPos(end, "x", true);
      ctx.fillRect(left, top, Math.max(2, right - left), height);
    }
    ctx.restore();
  };
}
