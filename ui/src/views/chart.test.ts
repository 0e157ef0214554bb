// @vitest-environment happy-dom
import { describe, expect, it } from "vitest";

import type { History } from "../client";
import { formatMeasured, incidentBands, series } from "./chart";

const point = (t: string, over: Partial<History["points"][number]> = {}): History["points"][number] => ({
  t,
  count: 2,
  up: 2,
  degraded: 0,
  down: 0,
  unknown: 0,
  failures: 0,
  uptime: 100,
  avg: null,
  p50: null,
  p95: null,
  max: null,
  value_avg: null,
  value_max: null,
  ...over,
});

const history = (measure: History["measure"], points: History["points"]): History => ({
  check: "cpu",
  from: "2026-12-06T10:00:00.000Z",
  to: "2026-12-06T11:00:00.000Z",
  bucket_ms: 10_000,
  source: "results",
  measure,
  summary: point("2026-12-06T10:00:00.000Z"),
  uptime_text: "100%",
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

  it("draws latency's median and 95th percentile for a check that measures nothing else", () => {
    const drawn = series(history(null, [point("2026-12-06T10:00:00.000Z", { avg: 3, p50: 2, p95: 5, max: 9, value_avg: 9 })]));
    expect([drawn.average, drawn.worst]).toEqual([[2], [5]]);
  });

  it("shades incidents over the window only, an open one to its end", () => {
    const span = (id: number, started_at: string, resolved_at: string | null) =>
      ({ id, started_at, resolved_at, cause: "down", cause_class: "http_status", duration_text: "" }) as const;
    const bands = incidentBands(history(null, []), [
      span(1, "2026-12-06T09:00:00.000Z", "2026-12-06T09:30:00.000Z"),
      span(2, "2026-12-06T09:50:00.000Z", "2026-12-06T10:10:00.000Z"),
      span(3, "2026-12-06T10:50:00.000Z", null),
    ]);
    const at = (iso: string) => Date.parse(iso) / 1000;
    expect(bands).toEqual([
      [at("2026-12-06T10:00:00.000Z"), at("2026-12-06T10:10:00.000Z")],
      [at("2026-12-06T10:50:00.000Z"), at("2026-12-06T11:00:00.000Z")],
    ]);
  });

  it("writes a value with its unit", () => {
    expect(formatMeasured(23.456, { label: "CPU", unit: "%" })).toBe("23.46 %");
    expect(formatMeasured(1.5, { label: "load", unit: "" })).toBe("1.5");
    expect(formatMeasured(null, { label: "load", unit: "" })).toBe("—");
  });
});
