// @vitest-environment happy-dom
import { describe, expect, it } from "vitest";

import type { History } from "../client";
import { formatMeasured, series } from "./chart";

const point = (at: string, over: Partial<History["points"][number]> = {}): History["points"][number] => ({
  at,
  count: 2,
  up: 2,
  degraded: 0,
  down: 0,
  unknown: 0,
  latency_avg_ms: null,
  latency_max_ms: null,
  value_avg: null,
  value_max: null,
  ...over,
});

const history = (measure: History["measure"], points: History["points"]): History => ({
  check: "cpu",
  from: "2026-12-06T10:00:00.000Z",
  to: "2026-12-06T11:00:00.000Z",
  bucket_ms: 10_000,
  measure,
  summary: {
    count: 0, up: 0, degraded: 0, down: 0, unknown: 0, uptime_pct: null,
    latency_avg_ms: null, latency_max_ms: null, value_avg: null, value_max: null,
  },
  points,
});

describe("the chart", () => {
  it("draws what a check measures, with down buckets at their highest", () => {
    const cpu = { label: "CPU", unit: "%" };
    const drawn = series(
      history(cpu, [
        point("2026-12-06T10:00:00.000Z", { value_avg: 12.5, value_max: 30 }),
        point("2026-12-06T10:00:10.000Z", { value_avg: 80, value_max: 95, down: 1 }),
      ]),
    );
    expect(drawn.average).toEqual([12.5, 80]);
    expect(drawn.worst).toEqual([30, 95]);
    expect(drawn.down).toEqual([null, 95]);
  });

  it("draws latency for a check that measures nothing else", () => {
    const drawn = series(history(null, [point("2026-12-06T10:00:00.000Z", { latency_avg_ms: 2, latency_max_ms: 5, value_avg: 9 })]));
    expect([drawn.average, drawn.worst]).toEqual([[2], [5]]);
  });

  it("writes a value with its unit", () => {
    expect(formatMeasured(23.456, { label: "CPU", unit: "%" })).toBe("23.46 %");
    expect(formatMeasured(1.5, { label: "load", unit: "" })).toBe("1.5");
    expect(formatMeasured(null, { label: "load", unit: "" })).toBe("—");
  });
});
