import { describe, expect, it } from "vitest";

import { DURATION_EXAMPLES } from "./api/types";
import { check } from "./fixtures";
import type { Group, Incident } from "./client";
import {
  counts,
  displayOrder,
  formatDuration,
  formatLatency,
  formatTime,
  LiveState,
  matches,
  phraseAt,
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
});

describe("filtering", () => {
  const api = check("orders-api", {
    name: "Orders API",
    group: "orders",
    status: "down",
    message: "expected status == 200, got 503",
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

describe("what ticks here says what the core says", () => {
  it("durations, as the core's words write them", () => {
    expect(DURATION_EXAMPLES.length).toBeGreaterThan(5);
    for (const [ms, text] of DURATION_EXAMPLES) expect(formatDuration(ms), `${ms} ms`).toBe(text);
    expect(formatDuration(-5)).toBe("0 s");
  });

  it("a phrase counts down, then says it is due", () => {
    const now = Date.parse("2026-11-23T10:00:00.000Z");
    const phrase = {
      text: "open, trial in 12 s",
      countdown: { at: "2026-11-23T10:00:12.000Z", ticking: "open, trial in {}", due: "open, trial due" },
    };
    expect(phraseAt(phrase, now)).toBe("open, trial in 12 s");
    expect(phraseAt(phrase, now + 11_000)).toBe("open, trial in 1 s");
    expect(phraseAt(phrase, now + 12_000)).toBe("open, trial due");
    expect(phraseAt({ text: "closed", countdown: null }, now)).toBe("closed");
  });

  it("latencies", () => {
    expect(formatLatency(null)).toBe("—");
    expect(formatLatency(2.345)).toBe("2.3 ms");
    expect(formatLatency(250.4)).toBe("250 ms");
    expect(formatLatency(1500)).toBe("1.50 s");
  });
});

describe("live state", () => {
  it("applies updates and says what changed", () => {
    const state = new LiveState();
    state.replaceChecks([check("a"), check("b")]);
    const changed = state.apply({ update: "checks", checks: [check("a", { status: "down" })] });
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
      resolution: "start the service",
      failed_conditions: [],
      actions: [],
      acked: false,
      acked_at: null,
      notes: [],
      notifications: 0,
      note: null,
      resolved_as: null,
    };
    expect(state.apply({ update: "incident", incident }).incidents).toBe(true);
    state.apply({ update: "incident", incident });
    expect(state.incidents).toHaveLength(1);
    const resolved = { id: 7, check: "a", resolved_at: "2026-11-23T10:01:30.000Z", duration_ms: 90_000 };
    state.apply({ update: "incident_resolved", resolved });
    expect(state.incidents[0].duration_ms).toBe(90_000);

    const output = state.apply({ update: "action_output", output: { ref: "r", action: "fix", text: "one\n" } });
    expect(output).toEqual({ checks: [], overview: false, incidents: false, resync: false });
    expect(state.apply({ update: "hello", missed: null }).resync).toBe(true);

    const shop: Group = {
      id: "shop",
      name: "shop",
      level: "partial_outage",
      cause: "Search down",
      headline: "shop: partial outage (Search down)",
      components: [],
    };
    const overview = { overall: "down" as const, level: "down" as const, summary: shop.headline, groups: [shop], network_down: null };
    expect(state.apply({ update: "overview", overview }).overview).toBe(true);
    expect(state.groups).toEqual([shop]);
  });

  it("grows a check's results strip from the live stream, once a result, to its length", () => {
    const state = new LiveState();
    const tick = (second: number, status: "up" | "down" = "up") => ({
      at: `2026-11-23T10:00:0${second}.000Z`,
      status,
      latency_ms: 2,
    });
    state.setStrips({ length: 3, window: "24h", checks: [{ check: "a", results: [tick(1), tick(2)], uptime: 100, uptime_text: "100%" }] }, true);
    const last = (second: number, status: "up" | "down") => ({
      at: `2026-11-23T10:00:0${second}.000Z`,
      status,
      ok: status === "up",
      latency_ms: 2,
      message: "",
      failure: null,
    });
    state.apply({ update: "checks", checks: [check("a", { last: last(3, "down") })] });
    // The same result again (the state changed, not the result): not a new tick.
    state.apply({ update: "checks", checks: [check("a", { status: "down", last: last(3, "down") })] });
    state.apply({ update: "checks", checks: [check("a", { last: last(4, "up") })] });
    expect(state.strips.get("a")?.map((t) => [t.at.slice(17, 19), t.status])).toEqual([
      ["02", "up"],
      ["03", "down"],
      ["04", "up"],
    ]);
    expect(state.uptime.get("a")).toBe("100%");
    // The uptimes alone, read again: the strips stay.
    state.setStrips({ length: 0, window: "24h", checks: [{ check: "a", results: [], uptime: 80, uptime_text: "80%" }] }, false);
    expect([state.uptime.get("a"), state.strips.get("a")?.length]).toEqual(["80%", 3]);
  });
});

describe("groups", () => {
  const group = (id: string, level: Group["level"]): Group => ({
    id,
    name: id,
    level,
    cause: null,
    headline: id,
    components: [],
  });

  it("troubled ones come worst first", () => {
    const groups = [group("a", "degraded"), group("b", "operational"), group("c", "major_outage"), group("d", "degraded")];
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

describe("times", () => {
  it("are written 24 h in local time, with the date when not today", () => {
    const now = new Date(2026, 11, 6, 18, 0, 0);
    expect(formatTime(new Date(2026, 11, 6, 17, 5, 9).toISOString(), now)).toBe("17:05:09");
    expect(formatTime(new Date(2026, 11, 5, 9, 0, 0).toISOString(), now)).toBe("2026-12-05 09:00:00");
    expect(formatTime(null, now)).toBe("—");
  });
});
