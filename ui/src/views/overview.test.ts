// @vitest-environment happy-dom
import { describe, expect, it, vi } from "vitest";

import { render } from "lit-html";

import { prose } from "../dom";
import { check } from "../fixtures";
import { LiveState } from "../model";
import { Overview, tickAt } from "./overview";

function setup(count: number) {
  const state = new LiveState();
  state.replaceChecks(
    Array.from({ length: count }, (_, i) =>
      check(`c${String(i).padStart(4, "0")}`, { group: i % 2 ? "odd" : "even", name: `Check ${String(i).padStart(4, "0")}` }),
    ),
  );
  const opened: string[] = [];
  const overview = new Overview(state, (id) => opened.push(id));
  document.body.replaceChildren(overview.element);
  overview.render();
  return { state, overview, opened };
}

const visible = () => [...document.querySelectorAll<HTMLTableRowElement>("tr.check")].filter((r) => !r.hidden);

describe("overview", () => {
  it("renders a thousand checks by group, with counts: the first screenful at once, the rest frame by frame", async () => {
    const { overview } = setup(1000);
    const first = document.querySelectorAll("tr.check").length;
    expect(first).toBeGreaterThan(20);
    expect(first).toBeLessThan(1000);
    expect(overview.complete).toBe(false);
    // Frame by frame takes as long as the machine's frames: on a busy 2-core machine
    // the default second of vi.waitFor saw 560 of the 1000 rows.
    await vi.waitFor(() => expect(document.querySelectorAll("tr.check")).toHaveLength(1000), { timeout: 20_000 });
    expect(overview.complete).toBe(true);
    expect([...document.querySelectorAll("tbody")].map((b) => (b as HTMLElement).dataset.group)).toEqual(["even", "odd"]);
    expect(document.querySelector(".counts")?.textContent?.trim()).toBe("1000 up");
  });

  it("patches only the rows that changed, in place", () => {
    const { state, overview } = setup(50);
    const before = document.querySelector('tr[data-id="c0007"]');
    const other = document.querySelector('tr[data-id="c0008"]')!;
    const otherCell = other.children[0];
    state.apply({ update: "checks", checks: [{ ...state.checks.get("c0007")!, status: "down" }] });
    overview.update(["c0007"]);
    const after = document.querySelector('tr[data-id="c0007"]')!;
    expect(after).toBe(before);
    expect(after.querySelector(".badge")?.textContent).toBe("down");
    expect(other.children[0]).toBe(otherCell);
    expect(document.querySelector(".counts")?.textContent?.trim()).toBe("1 down49 up");
    expect(document.querySelector('tbody[data-group="odd"] tr.group')?.textContent).toContain("1 of 25 not up");
  });

  it("marks a flapping check beside its status", () => {
    const { state, overview } = setup(3);
    expect(document.querySelector("tr.check .flapping")).toBeNull();
    state.apply({ update: "checks", checks: [{ ...state.checks.get("c0001")!, flapping: true }] });
    overview.update(["c0001"]);
    const mark = document.querySelector('tr[data-id="c0001"] .flapping');
    expect(mark?.textContent).toBe("flapping");
    expect(mark?.getAttribute("title")).toMatch(/notifications held until it settles/);
  });

  it("filters by text and by state, hiding empty groups", () => {
    const { state, overview } = setup(20);
    overview.setFilter({ text: "check 0003", status: "all" });
    expect(visible().map((r) => r.dataset.id)).toEqual(["c0003"]);
    expect((document.querySelector('tbody[data-group="even"]') as HTMLElement).hidden).toBe(true);
    state.apply({ update: "checks", checks: [{ ...state.checks.get("c0004")!, status: "down" }] });
    overview.update(["c0004"]);
    overview.setFilter({ text: "", status: "failing" });
    expect(visible().map((r) => r.dataset.id)).toEqual(["c0004"]);
    overview.setFilter({ text: "nothing like this", status: "all" });
    expect((document.querySelector(".empty") as HTMLElement).hidden).toBe(false);
  });

  it("moves the selection among visible rows and opens it", () => {
    const { overview, opened } = setup(6);
    overview.move(1);
    overview.move(1);
    expect(document.querySelector("tr.selected")?.getAttribute("data-id")).toBe("c0002");
    overview.move(-5);
    expect(document.querySelector("tr.selected")?.getAttribute("data-id")).toBe("c0000");
    overview.setFilter({ text: "0005", status: "all" });
    expect(overview.openSelected()).toBe(false);
    overview.move(1);
    expect(overview.openSelected()).toBe(true);
    expect(opened).toEqual(["c0005"]);
  });

  it("keeps focus and what is being typed across renders", () => {
    const { state, overview } = setup(10);
    const search = document.querySelector<HTMLInputElement>("#search")!;
    search.focus();
    search.value = "check 000";
    search.dispatchEvent(new Event("input"));
    state.apply({ update: "checks", checks: [{ ...state.checks.get("c0002")!, status: "down" }] });
    overview.update(["c0002"]);
    overview.tick();
    expect(document.querySelector("#search")).toBe(search);
    expect(document.activeElement).toBe(search);
    expect(search.value).toBe("check 000");
    expect(visible()).toHaveLength(10);
  });
});

describe("the core's words as prose", () => {
  it("sets what is between backticks as code, and leaves an odd backtick alone", () => {
    const root = document.createElement("div");
    render(prose("read its logs, or adjust `expect`"), root);
    expect(root.querySelector("code")?.textContent).toBe("expect");
    expect(root.textContent).toBe("read its logs, or adjust expect");
    render(prose("a ` alone"), root);
    expect(root.textContent).toBe("a ` alone");
  });
});

describe("a results strip", () => {
  it("tells the tick under the pointer, and nothing over the room kept for results to come", () => {
    const ticks = [
      { at: "2026-11-23T10:00:01.000Z", status: "up" as const, latency_ms: 2 },
      { at: "2026-11-23T10:00:02.000Z", status: "down" as const, latency_ms: 31.5 },
    ];
    // Four slots of 6 px: two kept empty, then the two results.
    expect(tickAt(ticks, 4, 1)).toBe("");
    expect(tickAt(ticks, 4, 13)).toMatch(/\d\d:\d\d:01 · up · 2\.0 ms$/);
    expect(tickAt(ticks, 4, 20)).toMatch(/\d\d:\d\d:02 · down · 32 ms$/);
    expect(tickAt(ticks, 4, 40)).toBe("");
  });
});
