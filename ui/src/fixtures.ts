// Test fixtures: a check as the core sends it, with overrides.

import type { Breaker, Check } from "./client";

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
    flapping: false,
    components: [],
    service_breakers: [],
    service_breakers_error: null,
    ...over,
  };
}

/** A breaker as the core sends it: a closed rate breaker over 10 calls, with overrides. */
export function breaker(over: Partial<Breaker> = {}): Breaker {
  return {
    state: "closed",
    failure_rate: null,
    slow_rate: null,
    calls: 0,
    failed_calls: 0,
    slow_calls: 0,
    recent: "",
    consecutive_failures: 0,
    opened_at: null,
    next_trial_at: null,
    failed_trials: 0,
    rule: {
      failure_threshold: null,
      window_calls: 10,
      window_ms: null,
      failure_rate: 50,
      slow_rate: 100,
      min_calls: 5,
      slow_call_ms: 1000,
      half_open_calls: 3,
      open_for_ms: 30_000,
      max_open_for_ms: 600_000,
    },
    ...over,
  };
}
