// @vitest-environment happy-dom
import { describe, expect, it } from "vitest";

import type { ExportArgs, IncidentsArgs, Transport } from "../client";
import { check } from "../fixtures";
import { LiveState } from "../model";
import { incidentQuery, IncidentsPage, incidentsHash } from "./incidents";

/** A transport that answers the incident list with nothing and keeps what it was asked. */
function recording() {
  const asked: IncidentsArgs[] = [];
  const exported: ExportArgs[] = [];
  const transport: Transport = {
    kind: "http",
    call: (async (op: string, args: IncidentsArgs) => {
      if (op !== "incidents") throw new Error(`unexpected ${op}`);
      asked.push(args);
      return { incidents: [] };
    }) as Transport["call"],
    subscribe: () => () => {},
    download: async (args) => {
      exported.push(args);
      return { name: "x.csv", file: new Blob([""]) };
    },
  };
  return { transport, asked, exported };
}

describe("the incidents page", () => {
  it("keeps its filters in the address, and reads them back", () => {
    const query = { check: "", group: "web & db", class: "timeout", range: "7d", open: true };
    const hash = incidentsHash(query);
    expect(hash).toBe("#/incidents?group=web+%26+db&class=timeout&range=7d&open=true");
    expect(incidentQuery(new URLSearchParams(hash.split("?")[1]))).toEqual(query);
    expect(incidentsHash({ check: "", group: "", class: "", range: "", open: false })).toBe("#/incidents");
  });

  it("asks the core for what its filters name, exports the same, and offers the groups and classes", async () => {
    const state = new LiveState();
    state.replaceChecks([check("api", { group: "web" }), check("db", { group: "data" }), check("solo", { group: null })]);
    const { transport, asked, exported } = recording();
    const query = { check: "", group: "web", class: "refused", range: "24h", open: false };
    const page = new IncidentsPage(transport, state, query);
    document.body.replaceChildren(page.element);
    await page.load();
    expect(asked).toEqual([{ check: undefined, group: "web", class: "refused", range: "24h", open: undefined, limit: 500 }]);
    const options = (id: string) =>
      [...document.querySelectorAll<HTMLOptionElement>(`#incident-${id} option`)].map((o) => [o.value, o.hasAttribute("selected")]);
    expect(options("group")).toEqual([["", false], ["data", false], ["web", true]]);
    expect(options("class").find(([value]) => value === "refused")).toEqual(["refused", true]);
    expect(options("range").find(([, selected]) => selected)).toEqual(["24h", true]);
    expect(document.querySelector("#incident-range option[value='7d']")?.textContent).toBe("last 7 d");

    document.querySelector<HTMLButtonElement>("button[data-export=csv]")!.click();
    await new Promise((resolve) => setTimeout(resolve, 0));
    expect(exported).toEqual([{ what: "incidents", format: "csv", check: undefined, group: "web", class: "refused", range: "24h" }]);

    const group = document.querySelector<HTMLSelectElement>("#incident-group")!;
    group.value = "data";
    group.dispatchEvent(new Event("change"));
    expect(location.hash).toBe("#/incidents?group=data&class=refused&range=24h");
  });

  it("in the desktop app, has the export saved into the downloads", async () => {
    const state = new LiveState();
    state.replaceChecks([check("api")]);
    const { transport, asked } = recording();
    const saved: unknown[] = [];
    const desktop: Transport = {
      ...transport,
      kind: "tauri",
      download: undefined,
      save: async (args) => {
        saved.push(args);
        return { path: "/home/op/Downloads/watchkeeper-incidents-20261207T101500Z.csv", lines: 3, bytes: 200 };
      },
    };
    const page = new IncidentsPage(desktop, state, { check: "api", group: "", class: "", range: "", open: false });
    document.body.replaceChildren(page.element);
    await page.load();
    expect(asked).toHaveLength(1);
    document.querySelector<HTMLButtonElement>("button[data-export=json]")!.click();
    await new Promise((resolve) => setTimeout(resolve, 0));
    expect(saved).toEqual([{ what: "incidents", format: "json", check: "api", group: undefined, class: undefined, range: undefined }]);
    // Where it went is shown on the page: checked in the real window (e2e/desktop.test.mjs),
    // as happy-dom leaves a template part after an empty one undrawn.
  });
});
