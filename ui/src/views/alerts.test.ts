import { describe, expect, it } from "vitest";

import type { MaintenanceWindow, Notification, Silence } from "../client";
import { outcome, silenceTargets, tomorrowMorning, windowNow, windowWhen } from "./alerts";

const base: Notification = {
  id: 1,
  at: "2026-12-02T10:00:00.000Z",
  event: "opened",
  checks: ["api"],
  incident: 3,
  channel: "hook",
  severity: "warning",
  title: "api down",
  body: "refused",
  delivered: null,
  attempts: 0,
  error: null,
  suppressed: null,
};

describe("the notification log", () => {
  it("says what became of each decision", () => {
    expect(outcome({ ...base, suppressed: "quiet_hours" }).text).toBe("not sent: quiet hours");
    expect(outcome({ ...base, suppressed: "parent_down" }).text).toBe("not sent: a check it depends on is down");
    expect(outcome({ ...base, delivered: true, attempts: 1 })).toEqual({ kind: "up", text: "delivered" });
    expect(outcome({ ...base, delivered: false, error: "cannot connect to the receiver" }).text).toBe(
      "failed: cannot connect to the receiver",
    );
    expect(outcome({ ...base, attempts: 3, error: "the receiver answered HTTP 500" }).text).toBe(
      "retrying (3 tries): the receiver answered HTTP 500",
    );
    expect(outcome(base).text).toBe("sending");
  });
});

describe("silences", () => {
  it("name their targets", () => {
    const silence = { checks: ["api", "db"], groups: ["shop"] } as Silence;
    expect(silenceTargets(silence)).toBe("checks api, db; groups shop");
    expect(silenceTargets({ ...silence, checks: [] })).toBe("groups shop");
  });

  it("last until tomorrow 08:00 local time", () => {
    const now = new Date(2026, 11, 2, 23, 30);
    const until = new Date(tomorrowMorning(now));
    expect([until.getDate(), until.getHours(), until.getMinutes()]).toEqual([3, 8, 0]);
  });
});

describe("maintenance windows", () => {
  const nightly: MaintenanceWindow = {
    id: "nightly",
    checks: [],
    groups: ["jobs"],
    schedule: "0 2 * * sun",
    duration: "2h",
    reason: null,
    active: false,
    starts_at: "2026-12-06T01:00:00.000Z",
    ends_at: "2026-12-06T03:00:00.000Z",
    next_start: null,
    covers: ["batch"],
  };

  it("say when they recur, or that they happen once", () => {
    expect(windowWhen(nightly)).toBe("0 2 * * sun for 2h");
    expect(windowWhen({ ...nightly, schedule: null, duration: null })).toBe("once");
  });

  it("say whether they are on, when next, or over", () => {
    expect(windowNow(nightly).text).toMatch(/^next .+ to .+/);
    const on = windowNow({ ...nightly, active: true, next_start: "2026-12-13T01:00:00.000Z" });
    expect(on.kind).toBe("maintenance");
    expect(on.text).toMatch(/^on until .+; next .+/);
    expect(windowNow({ ...nightly, starts_at: null, ends_at: null })).toEqual({ kind: "paused", text: "over" });
  });
});
