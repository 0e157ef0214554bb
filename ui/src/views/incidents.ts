// The incidents page: open and past incidents with duration and cause, filtered by
// check; and the table the check page shares.

import type { Incident, Transport } from "../client";
import { badge, guarded, h } from "../dom";
import { formatDuration, formatTime, type LiveState } from "../model";

export function incidentTable(incidents: Incident[], withCheck: boolean, names?: Map<string, string>): HTMLElement {
  if (incidents.length === 0) return h("p", { class: "empty" }, "No incidents.");
  const now = Date.now();
  return h(
    "table",
    { class: "incidents" },
    h(
      "thead",
      {},
      h(
        "tr",
        {},
        h("th", {}, "#"),
        h("th", {}, "State"),
        withCheck ? h("th", {}, "Check") : null,
        h("th", {}, "Started"),
        h("th", {}, "Duration"),
        h("th", {}, "Cause"),
        h("th", {}, "Recovery"),
      ),
    ),
    h(
      "tbody",
      {},
      ...incidents.map((incident) =>
        h(
          "tr",
          { class: incident.resolved_at ? "resolved" : "open", "data-incident": incident.id },
          h("td", {}, `${incident.id}`),
          h("td", {}, badge(incident.resolved_at ? "resolved" : "open")),
          withCheck
            ? h(
                "td",
                {},
                h("a", { href: `#/check/${encodeURIComponent(incident.check)}` }, names?.get(incident.check) ?? incident.check),
              )
            : null,
          h("td", {}, formatTime(incident.started_at)),
          h(
            "td",
            { class: "num" },
            formatDuration(incident.duration_ms ?? now - Date.parse(incident.started_at)) + (incident.resolved_at ? "" : " so far"),
          ),
          h("td", { class: "message" }, incident.cause, h("span", { class: "id" }, incident.cause_class)),
          h(
            "td",
            { class: "recovery" },
            ...(incident.actions ?? []).map((run) =>
              h(
                "div",
                { "data-run": run.id },
                `${run.action} by ${run.requested_by}: ${run.status}`,
                run.verified === true ? " · fixed" : run.verified === false ? " · not fixed" : "",
              ),
            ),
          ),
        ),
      ),
    ),
  );
}

export class IncidentsPage {
  readonly element: HTMLElement;
  private readonly list = h("div", {});
  private readonly checkSelect: HTMLSelectElement;
  private readonly openOnly: HTMLInputElement;

  constructor(
    private readonly transport: Transport,
    private readonly state: LiveState,
    check: string | null,
  ) {
    const checks = [...state.checks.values()].sort((a, b) => a.name.localeCompare(b.name));
    this.checkSelect = h(
      "select",
      { "aria-label": "Check", id: "incident-check" },
      h("option", { value: "" }, "all checks"),
      ...checks.map((c) => h("option", { value: c.id }, c.name)),
    );
    this.checkSelect.value = check ?? "";
    this.openOnly = h("input", { type: "checkbox", id: "open-only" });
    this.checkSelect.addEventListener("change", () => {
      location.hash = this.checkSelect.value ? `#/incidents?check=${encodeURIComponent(this.checkSelect.value)}` : "#/incidents";
    });
    this.openOnly.addEventListener("change", () => void this.load());
    this.element = h(
      "section",
      { class: "incidents-page", "aria-label": "Incidents" },
      h(
        "div",
        { class: "toolbar" },
        h("h2", {}, "Incidents"),
        h("div", { class: "filters" }, this.checkSelect, h("label", {}, this.openOnly, " open only")),
      ),
      this.list,
    );
  }

  load(): Promise<void> {
    return guarded(this.list, async () => {
      const { incidents } = await this.transport.call("incidents", {
        check: this.checkSelect.value || undefined,
        open: this.openOnly.checked || undefined,
        limit: 500,
      });
      const names = new Map([...this.state.checks.values()].map((c) => [c.id, c.name]));
      this.list.replaceChildren(incidentTable(incidents, true, names));
    });
  }
}
