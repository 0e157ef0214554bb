// A check's chart: per bucket the mean and worst of what it measures (its value, for a
// system, process or command check; else its latency), with down buckets marked.

import uPlot from "uplot";
import "uplot/dist/uPlot.min.css";

import type { History, Measure } from "../client";
import { formatTime } from "../model";

export interface Series {
  times: number[];
  average: (number | null)[];
  worst: (number | null)[];
  down: (number | null)[];
}

/** The chart's columns from a history answer: times in seconds; the measured value
 *  when the check measures one, else latency; a bucket with any down result is marked at
 *  its worst (or 0 when it had none). */
export function series(history: History): Series {
  const out: Series = { times: [], average: [], worst: [], down: [] };
  const measured = history.measure !== null;
  for (const point of history.points) {
    const [average, worst] = measured ? [point.value_avg, point.value_max] : [point.latency_avg_ms, point.latency_max_ms];
    out.times.push(Date.parse(point.at) / 1000);
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

export function historyChart(container: HTMLElement, history: History): uPlot {
  const measure = history.measure;
  const data = series(history);
  const width = Math.max(320, container.clientWidth || 720);
  const axis = { stroke: color("--muted", "#666"), grid: { stroke: color("--line", "#ddd"), width: 1 } };
  // Times as the rest of the dashboard writes them: 24 h, local; days beyond a day.
  const span = (Date.parse(history.to) - Date.parse(history.from)) / 1000;
  const two = (n: number) => String(n).padStart(2, "0");
  const tick = (seconds: number) => {
    const at = new Date(seconds * 1000);
    return span > 86_400 * 1.5
      ? `${two(at.getMonth() + 1)}-${two(at.getDate())} ${two(at.getHours())}h`
      : `${two(at.getHours())}:${two(at.getMinutes())}`;
  };
  return new uPlot(
    {
      width,
      height: 220,
      scales: { x: { time: true, range: [Date.parse(history.from) / 1000, Date.parse(history.to) / 1000] } },
      axes: [{ ...axis, values: (_: uPlot, splits: number[]) => splits.map(tick) }, { ...axis, label: measure ? measure.unit || measure.label : "ms", size: 60 }],
      series: [
        { value: (_: uPlot, seconds: number | null) => (seconds == null ? "--" : formatTime(new Date(seconds * 1000).toISOString())) },
        { label: measure ? `average ${measure.label}` : "average", stroke: color("--accent", "#3b82f6"), width: 2, spanGaps: false },
        { label: measure ? "highest" : "worst", stroke: color("--muted", "#888"), width: 1, dash: [4, 4] },
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
