// @vitest-environment happy-dom
import { describe, expect, it } from "vitest";

import { render } from "lit-html";

import type { MaintenanceWindow, Notification } from "../client";
import { notificationTable, OUTCOME_COLOURS, windowTable } from "./alerts";

/** A template drawn into a fresh element. */
function drawn(template: unknown): HTMLElement {
  const root = document.createElement("div");
  render(template, root);
  return root;
}

const base: Notification = {
  id: 1,
  at: "2026-12-02T10:00:00.000Z",
  event: "opened",
  event_text: "down",
  checks: ["api"],
  incident: 3,
  channel: "hook",
  severity: "warning",
  title: "api down",
  body: "refused",
  delivered: null,
  attempts: 0,
  error: null,
  suppressed: "quiet_hours",
  outcome: { state: "held", text: "not sent: quiet hours" },
};

describe("the notification log", () => {
  it("shows each decision's outcome in the core's words, coloured by where it stands", () => {
    const table = drawn(notificationTable([base], new Map([["api", "Orders API"]])));
    const cells = [...table.querySelectorAll("tbody td")].map((td) => td.textContent);
    expect(cells).toContain("Orders API");
    expect(cells).toContain("down");
    const outcome = table.querySelector("tbody td:last-child .badge")!;
    expect(outcome.textContent).toBe("not sent: quiet hours");
    expect(outcome.className).toBe(`badge ${OUTCOME_COLOURS.held}`);
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
    active: true,
    starts_at: "2026-12-06T01:00:00.000Z",
    ends_at: "2026-12-06T03:00:00.000Z",
    next_start: "2026-12-13T01:00:00.000Z",
    covers: ["batch"],
    covers_names: ["Nightly batch"],
    when: "Sundays at 02:00 for 2 h",
    now: "on until 04:00; next 2026-12-13 02:00",
  };

  it("show when they come and what they do, as the core says it", () => {
    const table = drawn(windowTable([nightly]));
    const cells = [...table.querySelectorAll("tbody td")].map((td) => td.textContent);
    expect(cells).toEqual(["nightly", "Sundays at 02:00 for 2 h", "on until 04:00; next 2026-12-13 02:00", "Nightly batch", ""]);
    expect(table.querySelector(".badge")!.className).toBe("badge maintenance");
  });
});
