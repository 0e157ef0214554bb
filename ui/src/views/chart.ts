// The latency chart: average and worst latency per bucket, with down buckets marked.

import uPlot from "uplot";
import "uplot/dist/uPlot.min.css";

import type { History } from "../client";

export interface Series {
  times: number[];
  average: (number | null)[];
  worst: (number | null)[];
  down: (number | null)[];
}

/** The chart's columns from a history answer: times in seconds; a bucket with any down
 *  result is marked at its worst latency (or 0 when it had none). */
export function series(history: History): Series {
  const out: Series = { times: [], average: [], worst: [], down: [] };
  for (const point of history.points) {
    out.times.push(Date.parse(point.at) / 1000);
    out.average.push(point.latency_avg_ms);
    out.worst.push(point.latency_max_ms);
    // A bucket with failures is marked at its worst latency, on the axis without one.
    out.down.push(point.down > 0 ? (point.latency_max_ms === null ? 0 : point.latency_max_ms) : null);
  }
  return out;
}

function color(name: string, fallback: string): string {
  const value = getComputedStyle(document.documentElement).getPropertyValue(name).trim();
  return value || fallback;
}

export function latencyChart(container: HTMLElement, history: History): uPlot {
  const data = series(history);
  const width = Math.max(320, container.clientWidth || 720);
  const axis = { stroke: color("--muted", "#666"), grid: { stroke: color("--line", "#ddd"), width: 1 } };
  return new uPlot(
    {
      width,
      height: 220,
      scales: { x: { time: true, range: [Date.parse(history.from) / 1000, Date.parse(history.to) / 1000] } },
      axes: [axis, { ...axis, label: "ms", size: 60 }],
      series: [
        {},
        { label: "average", stroke: color("--accent", "#3b82f6"), width: 2, spanGaps: false },
        { label: "worst", stroke: color("--muted", "#888"), width: 1, dash: [4, 4] },
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
