// Test fixtures: a check as the core sends it, with overrides. Its words are test
// data: what the views show is whatever the core sent.

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
    message: "HTTP 200",
    hint: null,
    interval_ms: 10_000,
    actions: [],
    depends_on: [],
    open_incident: null,
    breaker: null,
    last: { at: "2026-11-23T10:00:00.000Z", status: "up", ok: true, latency_ms: 2.5, message: "HTTP 200", failure: null },
    healing: null,
    flapping: false,
    components: [],
    service_breakers: [],
    service_breakers_error: null,
    silenced: null,
    acked: false,
    paused_until: null,
    marks: [],
    text: "Up: HTTP 200",
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
    recent: [],
    consecutive_failures: 0,
    opened_at: null,
    next_trial_at: null,
    failed_trials: 0,
    rule: {
      trip: { kind: "rates", window: { kind: "calls", calls: 10 }, failure_rate: 50, slow_rate: 100, min_calls: 5 },
      slow_call_ms: 1000,
      half_open_calls: 3,
      open_for_ms: 30_000,
      max_open_for_ms: 600_000,
      text: "the rule in words",
    },
    phrase: { text: "closed", countdown: null },
    doing: { text: "Closed: every probe goes through.", countdown: null },
    rates: [
      { name: "failed", rate: null, threshold: 50, text: "— (0 of 5 calls)" },
      { name: "slow", rate: null, threshold: 100, text: "— (0 of 5 calls)" },
    ],
    ...over,
  };
}
