import { describe, expect, it } from "vitest";

import { breaker, check } from "./fixtures";
import type { Group, Incident } from "./client";
import {
  componentLevel,
  serviceBreakerLevel,
  breakerRuleText,
  breakerText,
  budgetText,
  counts,
  displayOrder,
  explain,
  formatDuration,
  formatLatency,
  groupHeadline,
  healingText,
  LiveState,
  matches,
  summary,
  noNetwork,
  troubledGroups,
  worst,
} from "./model";


describe("severity", () => {
  it("picks the worst state", () => {
    expect(worst(["up", "degraded", "up"])).toBe("degraded");
    expect(worst(["up", "unknown", "down"])).toBe("down");
    expect(worst([])).toBe("up");
  });

  it("counts by state", () => {
    const c = counts([check("a"), check("b", { status: "down" }), check("c", { status: "down" })]);
    expect(c.down).toBe(2);
    expect(c.up).toBe(1);
    expect(c.degraded).toBe(0);
  });

  it("summarises like the tray", () => {
    expect(summary([check("a"), check("b")])).toBe("all 2 up");
    const down = ["orders-api", "db", "vpn", "mail"].map((id) => check(id, { status: "down" }));
    expect(summary([check("ok"), ...down.slice(0, 3)])).toBe("3 down: orders-api, db, vpn");
    expect(summary(down)).toBe("4 down: orders-api, db, vpn, +1");
    expect(summary([check("a", { status: "degraded" })])).toBe("1 degraded: a");
    expect(summary([])).toBe("no checks configured");
  });

  it("says when the network is down, from the remote checks it makes unknown", () => {
    const lost = check("api", { status: "unknown", reason: "no network: the connectivity sentinel fails" });
    expect(noNetwork([check("a"), check("b", { status: "down" })])).toBeNull();
    expect(noNetwork([lost, check("b")])).toMatch(/^No network: 1 remote check is unknown until it is back/);
    expect(noNetwork([lost, { ...lost, id: "cdn" }])).toMatch(/^No network: 2 remote checks are unknown/);
    expect(noNetwork([check("c", { status: "unknown", reason: "stale: no result since 10:00:00 UTC" })])).toBeNull();
  });
});

describe("filtering", () => {
  const api = check("orders-api", {
    name: "Orders API",
    group: "orders",
    status: "down",
    last: { at: "", ok: false, latency_ms: null, message: "expected status == 200, got 503", failure: null },
  });

  it("matches every word anywhere", () => {
    expect(matches(api, { text: "orders 503", status: "all" })).toBe(true);
    expect(matches(api, { text: "ORDERS", status: "all" })).toBe(true);
    expect(matches(api, { text: "orders db", status: "all" })).toBe(false);
  });

  it("filters by state", () => {
    expect(matches(api, { text: "", status: "failing" })).toBe(true);
    expect(matches(check("x"), { text: "", status: "failing" })).toBe(false);
    expect(matches(api, { text: "", status: "up" })).toBe(false);
    expect(matches(api, { text: "", status: "down" })).toBe(true);
  });

  it("orders by group then name, ungrouped last, and never by state", () => {
    const order = displayOrder([
      check("z", { name: "Zeta" }),
      check("b", { name: "Beta", group: "web" }),
      check("a", { name: "Alpha", group: "web", status: "down" }),
      check("c", { name: "Gamma", group: "db" }),
    ]).map((c) => c.id);
    expect(order).toEqual(["c", "a", "b", "z"]);
  });
});

describe("formatting", () => {
  it("durations", () => {
    expect(formatDuration(500)).toBe("500 ms");
    expect(formatDuration(45_000)).toBe("45 s");
    expect(formatDuration(3 * 3600_000 + 12 * 60_000)).toBe("3 h 12 min");
    expect(formatDuration(2 * 86400_000 + 4 * 3600_000)).toBe("2 d 4 h");
    expect(formatDuration(-5)).toBe("0 s");
  });

  it("latencies", () => {
    expect(formatLatency(null)).toBe("—");
    expect(formatLatency(2.345)).toBe("2.3 ms");
    expect(formatLatency(250.4)).toBe("250 ms");
    expect(formatLatency(1500)).toBe("1.50 s");
  });

  it("explains a failing check with its hint, an up one without", () => {
    const failing = check("a", {
      status: "down",
      reason: "expected status == 200, got 500",
      last: { at: "", ok: false, latency_ms: 1, message: "x", failure: { class: "http_status", resolution: "read its logs" } },
    });
    expect(explain(failing)).toEqual({ message: "expected status == 200, got 500", hint: "read its logs" });
    expect(explain(check("b")).hint).toBeNull();
    expect(explain(check("c", { last: null })).message).toBe("no result yet");
  });
});

describe("live state", () => {
  it("applies updates and says what changed", () => {
    const state = new LiveState();
    state.replaceChecks([check("a"), check("b")]);
    const changed = state.apply({ name: "checks", checks: [check("a", { status: "down" })] });
    expect(changed.checks).toEqual(["a"]);
    expect(state.checks.get("a")?.status).toBe("down");

    const incident: Incident = {
      id: 7,
      check: "a",
      started_at: "2026-11-23T10:00:00.000Z",
      resolved_at: null,
      duration_ms: null,
      cause: "x",
      cause_class: "refused",
      failed_conditions: [],
      actions: [],
      acked: false,
      acked_at: null,
      notes: [],
      notifications: 0,
      note: null,
    };
    expect(state.apply({ name: "incident", incident }).incidents).toBe(true);
    state.apply({ name: "incident", incident });
    expect(state.incidents).toHaveLength(1);
    state.apply({ name: "incident_resolved", id: 7, check: "a", resolved_at: "2026-11-23T10:01:30.000Z" });
    expect(state.incidents[0].duration_ms).toBe(90_000);

    const output = state.apply({ name: "action_output", ref: "r", action: "fix", text: "one\n" });
    expect(output).toEqual({ checks: [], groups: false, incidents: false, resync: false });
    expect(state.apply({ name: "hello" }).resync).toBe(true);

    const shop: Group = { id: "shop", name: "shop", level: "partial_outage", cause: "Search down", components: [] };
    expect(state.apply({ name: "groups", groups: [shop] }).groups).toBe(true);
    expect(state.groups).toEqual([shop]);
  });
});

describe("groups", () => {
  const group = (id: string, level: Group["level"], cause: string | null = null): Group => ({
    id,
    name: id,
    level,
    cause,
    components: [],
  });

  it("heads with the level and its cause, worst first", () => {
    expect(groupHeadline(group("shop", "partial_outage", "Search down"))).toBe("shop: partial outage (Search down)");
    expect(groupHeadline(group("shop", "operational"))).toBe("shop: operational");
    const groups = [group("a", "degraded", "x"), group("b", "operational"), group("c", "major_outage", "y"), group("d", "degraded", "z")];
    expect(troubledGroups(groups).map((g) => g.id)).toEqual(["c", "a", "d"]);
  });
});

describe("locale", () => {
  it("tells a locale Intl accepts from one it rejects", async () => {
    const { usableLocale } = await import("./locale");
    expect(usableLocale("en-US")).toBe(true);
    expect(usableLocale("de")).toBe(true);
    expect(usableLocale("C")).toBe(false);
    expect(usableLocale("")).toBe(false);
    expect(usableLocale(undefined)).toBe(false);
  });
});

describe("recovery", () => {
  const now = Date.parse("2026-11-23T10:00:00.000Z");

  it("says what self-healing does, with its countdown", () => {
    const healing = { action: "restart-api", attempts: 3, next_at: null, retry_at: null };
    expect(healingText(null, now)).toBeNull();
    expect(healingText({ ...healing, state: "idle" }, now)).toBeNull();
    expect(healingText({ ...healing, state: "waiting", attempts: 1, next_at: "2026-11-23T10:00:40.000Z" }, now)).toBe(
      "Self-healing: restart-api ran once; next run in 40 s",
    );
    expect(healingText({ ...healing, state: "gave_up", retry_at: "2026-11-23T10:07:00.000Z" }, now)).toBe(
      "Self-healing gave up: restart-api ran 3 times and the check is still down; next try in 7 min, or reset its budget",
    );
    expect(healingText({ ...healing, state: "running" }, now)).toBe("Self-healing: running restart-api (attempt 3)");
  });

  it("reads a budget, spent or not", () => {
    const budget = { max_runs: 3, per: "10m", per_ms: 600_000, runs_in_window: 2, blocked_until: null };
    expect(budgetText(budget, now)).toBe("2 of 3 runs in 10m");
    expect(budgetText({ ...budget, runs_in_window: 3, blocked_until: "2026-11-23T10:02:05.000Z" }, now)).toBe(
      "3 of 3 runs in 10m · budget spent, next run allowed in 2 min",
    );
  });
});

describe("breakers", () => {
  const now = Date.parse("2026-11-23T10:00:00.000Z");
  const at = (ms: number) => new Date(now + ms).toISOString();

  it("says in one phrase what each state means now", () => {
    expect(breakerText(breaker(), now)).toBe("closed");
    expect(breakerText(breaker({ failure_rate: 20, failed_calls: 2, calls: 10 }), now)).toBe("closed, 20 % failed");
    expect(breakerText(breaker({ failure_rate: 0, calls: 10 }), now)).toBe("closed");
    expect(breakerText(breaker({ state: "open", next_trial_at: at(12_000) }), now)).toBe("open, trial in 12 s");
    expect(breakerText(breaker({ state: "open", next_trial_at: at(-1) }), now)).toBe("open, trial due");
    expect(breakerText(breaker({ state: "half_open", calls: 1 }), now)).toBe("half-open, trial 2 of 3");
    expect(breakerText(breaker({ state: "forced_open" }), now)).toBe("forced open");
    expect(breakerText(breaker({ state: "disabled", failure_rate: 33.33, failed_calls: 1 }), now)).toBe("disabled, 33.3 % failed");
  });

  it("says what opens it", () => {
    expect(breakerRuleText(breaker().rule)).toBe("50 % of the last 10 calls fail, or all are slow (over 1 s), once 5 calls are in");
    const time = { ...breaker().rule, window_calls: null, window_ms: 60_000, slow_rate: 80 };
    expect(breakerRuleText(time)).toBe("50 % of the calls of the last 1 min fail, or 80 % are slow (over 1 s), once 5 calls are in");
    expect(breakerRuleText({ ...breaker().rule, failure_threshold: 5 })).toBe("5 failures in a row");
  });
});

describe("what services say", () => {
  it("colours a component's own word and a service breaker's state", () => {
    expect(["UP", "pass", "warn", "DOWN", "fail", "OUT_OF_SERVICE", "UNKNOWN", "custom"].map(componentLevel)).toEqual([
      "up", "up", "degraded", "down", "down", "down", "unknown", "unknown",
    ]);
    expect(["CLOSED", "OPEN", "HALF_OPEN", "FORCED_OPEN", "DISABLED"].map(serviceBreakerLevel)).toEqual([
      "up", "down", "degraded", "down", "unknown",
    ]);
  });
});
