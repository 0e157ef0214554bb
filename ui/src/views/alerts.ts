// The alerts page: silences (create, list, end), the maintenance windows with their
// next start, and the notification log, every decision of the alert policy with why it
// was or was not sent.

import { SNOOZES } from "../api/types";
import { asApiError, type MaintenanceWindow, type Notification, type OutcomeState, type Transport } from "../client";
import { badge, guarded, h } from "../dom";
import { formatTime, type LiveState } from "../model";

/** The colour of where a notification stands (its words are the core's). */
export const OUTCOME_COLOURS: Record<OutcomeState, string> = {
  delivered: "up",
  held: "paused",
  failed: "down",
  retrying: "degraded",
  sending: "unknown",
};

export class AlertsPage {
  readonly element: HTMLElement;
  private readonly silences = h("div", { id: "silences" });
  private readonly log = h("div", { id: "notification-log" });
  private readonly windows = h("div", { id: "maintenance-windows" });
  private readonly formError = h("p", { class: "view-error", role: "alert", hidden: true });
  private readonly target: HTMLSelectElement;
  private readonly span: HTMLSelectElement;
  private readonly reason: HTMLInputElement;
  private readonly showAll: HTMLInputElement;

  constructor(
    private readonly transport: Transport,
    private readonly state: LiveState,
  ) {
    const checks = [...state.checks.values()].sort((a, b) => a.name.localeCompare(b.name));
    const groups = [...new Set(checks.map((c) => c.group).filter((g): g is string => !!g))].sort();
    this.target = h(
      "select",
      { id: "silence-target", "aria-label": "What to silence" },
      ...groups.map((g) => h("option", { value: `group:${g}` }, `group ${g}`)),
      ...checks.map((c) => h("option", { value: `check:${c.id}` }, c.name)),
    );
    this.span = h(
      "select",
      { id: "silence-for", "aria-label": "For how long" },
      ...SNOOZES.map((s) => h("option", { value: s.code }, s.label)),
    );
    this.span.value = "1h";
    this.reason = h("input", { id: "silence-reason", type: "text", placeholder: "why, e.g. deploying v2", "aria-label": "Reason" });
    this.showAll = h("input", { type: "checkbox", id: "silences-all" });
    this.showAll.addEventListener("change", () => void this.loadSilences());
    const form = h(
      "form",
      { class: "silence-form", onsubmit: (event: Event) => (event.preventDefault(), void this.create()) },
      this.target,
      this.span,
      this.reason,
      h("button", { type: "submit", id: "silence-create" }, "Silence"),
    );
    this.element = h(
      "section",
      { class: "alerts-page", "aria-label": "Alerts" },
      h("h2", {}, "Silences"),
      h(
        "p",
        { class: "hint" },
        "A silence mutes notifications on every channel; probing, incidents and history go on. Pause a check to stop probing it.",
      ),
      form,
      this.formError,
      h("div", { class: "filters" }, h("label", {}, this.showAll, " ended ones too")),
      this.silences,
      h("h2", {}, "Maintenance windows"),
      h(
        "p",
        { class: "hint" },
        "Inside a window its checks show maintenance: still probed and recorded, no incident, nobody told. A check still down when it ends opens its incident then. Declared as [[maintenance]] in the config.",
      ),
      this.windows,
      h("h2", {}, "Notification log"),
      h("p", { class: "hint" }, "Every decision of the alert policy, one per channel: sent or not, and why."),
      this.log,
    );
  }

  load(): Promise<void> {
    return Promise.all([this.loadSilences(), this.loadWindows(), this.loadLog()]).then(() => undefined);
  }

  private async create(): Promise<void> {
    this.formError.hidden = true;
    const [kind, name] = splitTarget(this.target.value);
    const span = this.span.value;
    try {
      await this.transport.call("create_silence", {
        checks: kind === "check" ? [name] : undefined,
        groups: kind === "group" ? [name] : undefined,
        snooze: span,
        reason: this.reason.value,
      });
      this.reason.value = "";
    } catch (error) {
      const e = asApiError(error);
      this.formError.textContent = `${e.message} — ${e.resolution}`;
      this.formError.hidden = false;
      return;
    }
    await this.load();
  }

  private loadSilences(): Promise<void> {
    return guarded(this.silences, async () => {
      const { silences } = await this.transport.call("silences", { all: this.showAll.checked || undefined });
      if (silences.length === 0) {
        this.silences.replaceChildren(h("p", { class: "empty" }, "No silences."));
        return;
      }
      this.silences.replaceChildren(
        h(
          "table",
          { class: "silences" },
          h(
            "thead",
            {},
            h("tr", {}, ...["#", "On", "From", "Until", "By", "Reason", ""].map((t) => h("th", {}, t))),
          ),
          h(
            "tbody",
            {},
            ...silences.map((s) =>
              h(
                "tr",
                { "data-silence": s.id, class: s.active ? "active" : "ended" },
                h("td", {}, `${s.id}`),
                h("td", {}, s.targets),
                h("td", {}, formatTime(s.starts_at)),
                h("td", {}, s.ended_at ? `${formatTime(s.ended_at)} (ended)` : formatTime(s.ends_at), s.active ? "" : " ", s.active ? null : badge("paused", "over")),
                h("td", {}, s.created_by),
                h("td", { class: "message" }, s.reason),
                h(
                  "td",
                  {},
                  s.active
                    ? h("button", { type: "button", class: "end-silence", onclick: () => void this.end(s.id) }, "End")
                    : null,
                ),
              ),
            ),
          ),
        ),
      );
    });
  }

  private async end(id: number): Promise<void> {
    await guarded(this.silences, async () => {
      await this.transport.call("end_silence", { id: String(id) });
    });
    await this.load();
  }

  private loadWindows(): Promise<void> {
    return guarded(this.windows, async () => {
      const { windows } = await this.transport.call("maintenance", {});
      const names = new Map([...this.state.checks.values()].map((c) => [c.id, c.name]));
      this.windows.replaceChildren(windowTable(windows, names));
    });
  }

  private loadLog(): Promise<void> {
    return guarded(this.log, async () => {
      const { notifications: log } = await this.transport.call("notifications", { limit: 200 });
      const names = new Map([...this.state.checks.values()].map((c) => [c.id, c.name]));
      this.log.replaceChildren(notificationTable(log, names));
    });
  }
}

function splitTarget(value: string): ["check" | "group", string] {
  const [kind, ...rest] = value.split(":");
  return [kind === "group" ? "group" : "check", rest.join(":")];
}

export function notificationTable(log: Notification[], names: Map<string, string>): HTMLElement {
  if (log.length === 0) return h("p", { class: "empty" }, "Nothing has been notified yet.");
  return h(
    "table",
    { class: "notifications" },
    h("thead", {}, h("tr", {}, ...["At", "Event", "Channel", "About", "Title", "Outcome"].map((t) => h("th", {}, t)))),
    h(
      "tbody",
      {},
      ...log.map((n) => {
        const about = n.checks.map((c) => names.get(c) ?? c);
        return h(
          "tr",
          { "data-notification": n.id },
          h("td", {}, formatTime(n.at)),
          h("td", {}, n.event.replace("_", " "), n.severity === "critical" ? h("span", { class: "id" }, "critical") : null),
          h("td", {}, n.channel),
          h("td", {}, about.length > 3 ? `${about.slice(0, 3).join(", ")}, +${about.length - 3}` : about.join(", ")),
          h("td", { class: "message", title: n.body }, n.title),
          h("td", {}, badge(OUTCOME_COLOURS[n.outcome.state], n.outcome.text)),
        );
      }),
    ),
  );
}

export function windowTable(windows: MaintenanceWindow[], names: Map<string, string>): HTMLElement {
  if (windows.length === 0) return h("p", { class: "empty" }, "No maintenance windows.");
  return h(
    "table",
    { class: "windows" },
    h("thead", {}, h("tr", {}, ...["Window", "When", "Now", "Checks", "Reason"].map((t) => h("th", {}, t)))),
    h(
      "tbody",
      {},
      ...windows.map((w) => {
        // Coloured as what it does to its checks: on, to come, or over.
        const kind = w.active ? "maintenance" : w.starts_at ? "unknown" : "paused";
        return h(
          "tr",
          { "data-window": w.id, class: w.active ? "active" : "" },
          h("td", {}, w.id),
          h("td", {}, w.when),
          h("td", {}, badge(kind, w.now)),
          h("td", {}, w.covers.map((c) => names.get(c) ?? c).join(", ")),
          h("td", { class: "message" }, w.reason ?? ""),
        );
      }),
    ),
  );
}
