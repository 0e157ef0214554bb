// Test fixtures: a check as the core sends it, with overrides.

import type { Check } from "./client";

export function check(id: string, over: Partial<Check> = {}): Check {
  return {
    id,
    name: id,
    kind: "http",
    group: null,
    critical: true,
    status: "up",
    since: "2026-11-23T10:00:00.000Z",
    reason: null,
    interval_ms: 10_000,
    actions: [],
    depends_on: [],
    open_incident: null,
    breaker: null,
    last: { at: "2026-11-23T10:00:00.000Z", ok: true, latency_ms: 2.5, message: "HTTP 200", failure: null },
    healing: null,
    ...over,
  };
}
