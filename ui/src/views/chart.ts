// The latency chart: average and worst latency per bucket, with down buckets marked.

import uPlot from "uplot";
import "uplot/dist/uPlot.min.css";

import type { History } from "../client";
import { formatTime } from "../model";

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
      axes: [{ ...axis, values: (_: uPlot, splits: number[]) => splits.map(tick) }, { ...axis, label: "ms", size: 60 }],
      series: [
        { value: (_: uPlot, seconds: number | null) => (seconds == null ? "--" : formatTime(new Date(seconds * 1000).toISOString())) },
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
