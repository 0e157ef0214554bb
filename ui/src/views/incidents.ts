// The incidents page: open and past incidents with duration and cause, filtered by
// check; and the table the check page shares.

import { asApiError, type Incident, type Transport } from "../client";
import { badge, guarded, h } from "../dom";
import { formatDuration, formatTime, type LiveState } from "../model";

/** Acknowledge and notes on an incident: what the operator did about it. `changed`
 * reloads the table after one is added. */
function response(incident: Incident, transport: Transport | undefined, changed: () => void): HTMLElement {
  const cell = h("td", { class: "response" });
  const error = h("div", { class: "hint", role: "alert", hidden: true });
  const act = async (call: () => Promise<unknown>) => {
    error.hidden = true;
    try {
      await call();
      changed();
    } catch (e) {
      const failure = asApiError(e);
      error.textContent = `${failure.message} — ${failure.resolution}`;
      error.hidden = false;
    }
  };
  if (incident.acked) {
    cell.append(h("div", { class: "acked" }, badge("up", "acknowledged"), incident.acked_at ? ` ${formatTime(incident.acked_at)}` : ""));
  } else if (!incident.resolved_at && transport) {
    cell.append(
      h(
        "button",
        {
          type: "button",
          class: "ack",
          title: "No more reminders; it ends when the check recovers",
          onclick: () => void act(() => transport.call("ack", { id: String(incident.id) })),
        },
        "Acknowledge",
      ),
    );
  }
  if (incident.notifications) cell.append(h("div", { class: "id" }, `${incident.notifications} notified`));
  for (const note of incident.notes ?? []) {
    cell.append(h("div", { class: "note" }, h("span", { class: "id" }, `${formatTime(note.at)} ${note.author}`), ` ${note.text}`));
  }
  if (transport) {
    const text = h("input", { type: "text", class: "note-text", placeholder: "add a note", "aria-label": "Note" });
    cell.append(
      h(
        "form",
        {
          class: "note-form",
          onsubmit: (event: Event) => {
            event.preventDefault();
            void act(() => transport.call("add_note", { id: String(incident.id), text: text.value }));
          },
        },
        text,
        h("button", { type: "submit" }, "Add"),
      ),
    );
  }
  cell.append(error);
  return cell;
}

export function incidentTable(
  incidents: Incident[],
  withCheck: boolean,
  names?: Map<string, string>,
  transport?: Transport,
  changed: () => void = () => {},
): HTMLElement {
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
        h("th", {}, "Response"),
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
          response(incident, transport, changed),
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
      this.list.replaceChildren(incidentTable(incidents, true, names, this.transport, () => void this.load()));
    });
  }
}
