// The alerts page: silences (create, list, end), the maintenance windows with their
// next start, and the notification log, every decision of the alert policy with why it
// was or was not sent. Every word of a decision is the core's.

import { html, nothing, render } from "lit-html";
import { repeat } from "lit-html/directives/repeat.js";

import { NOTIFY_EVENT_WORDS, type NotificationsArgs, OUTCOME_STATES, SNOOZES } from "../api/types";
import {
  asApiError,
  type ApiError,
  type MaintenanceWindow,
  type Notification,
  type OutcomeState,
  type Silence,
  type Transport,
} from "../client";
import { badge, load, loaded, LOADING, type Loaded } from "../dom";
import { byName, formatTime, type LiveState } from "../model";

/** The colour of where a notification stands (its words are the core's). */
export const OUTCOME_COLOURS: Record<OutcomeState, string> = {
  delivered: "up",
  held: "paused",
  failed: "down",
  retrying: "degraded",
  sending: "unknown",
};

export class AlertsPage {
  readonly element = document.createElement("section");
  private silences: Loaded<Silence[]> = LOADING;
  private windows: Loaded<MaintenanceWindow[]> = LOADING;
  private log: Loaded<Notification[]> = LOADING;
  private showAll = false;
  private formError: ApiError | null = null;
  /** What the notification log is narrowed to (the API's filters). */
  private filter: Pick<NotificationsArgs, "check" | "channel" | "event" | "outcome"> = {};
  /** The channels the log has named, for its filter. */
  private readonly channels = new Set<string>();

  constructor(
    private readonly transport: Transport,
    private readonly state: LiveState,
  ) {
    this.element.className = "alerts-page";
    this.element.setAttribute("aria-label", "Alerts");
  }

  async load(): Promise<void> {
    this.render();
    await Promise.all([this.loadSilences(), this.loadWindows(), this.loadLog()]);
  }

  render(): void {
    render(this.template(), this.element);
  }

  private template() {
    const checks = [...this.state.checks.values()].sort((a, b) => byName(a.name, b.name));
    const groups = [...new Set(checks.map((c) => c.group).filter((g): g is string => !!g))].sort();
    const names = new Map(checks.map((c) => [c.id, c.name]));
    return html`<h2>Silences</h2>
      <p class="hint">
        A silence mutes notifications on every channel; probing, incidents and history go on. Pause a check to stop probing
        it.
      </p>
      <form class="silence-form" @submit=${(event: Event) => this.create(event)}>
        <select id="silence-target" aria-label="What to silence">
          ${groups.map((g) => html`<option value="group:${g}">group ${g}</option>`)}
          ${checks.map((c) => html`<option value="check:${c.id}">${c.name}</option>`)}
        </select>
        <select id="silence-for" aria-label="For how long">
          ${SNOOZES.map((s) => html`<option value=${s.code} ?selected=${s.code === "1h"}>${s.label}</option>`)}
        </select>
        <input id="silence-reason" type="text" placeholder="why, e.g. deploying v2" aria-label="Reason" />
        <button type="submit" id="silence-create">Silence</button>
      </form>
      ${this.formError
        ? html`<p class="view-error" role="alert">${this.formError.message} — ${this.formError.resolution}</p>`
        : nothing}
      <div class="filters">
        <label
          ><input
            type="checkbox"
            id="silences-all"
            .checked=${this.showAll}
            @change=${(event: Event) => {
              this.showAll = (event.target as HTMLInputElement).checked;
              void this.loadSilences();
            }}
          />
          ended ones too</label
        >
      </div>
      <div id="silences">${loaded(this.silences, (silences) => this.silenceTable(silences))}</div>
      <h2>Maintenance windows</h2>
      <p class="hint">
        Inside a window its checks show maintenance: still probed and recorded, no incident, nobody told. A check still down
        when it ends opens its incident then. Declared as [[maintenance]] in the config.
      </p>
      <div id="maintenance-windows">${loaded(this.windows, (windows) => windowTable(windows))}</div>
      <h2>Notification log</h2>
      <p class="hint">Every decision of the alert policy, one per channel: sent or not, and why.</p>
      ${this.logFilters(checks)}
      <div id="notification-log">${loaded(this.log, (log) => notificationTable(log, names, Object.values(this.filter).some((v) => v !== undefined)))}</div>`;
  }

  /** The log's filters: a check, a channel, an event, an outcome (all by default). */
  private logFilters(checks: { id: string; name: string }[]) {
    const set = (key: keyof AlertsPage["filter"]) => (event: Event) => {
      const value = (event.target as HTMLSelectElement).value;
      this.filter = { ...this.filter, [key]: value === "" ? undefined : value };
      void this.loadLog();
    };
    const option = (value: string, label: string, current: string | undefined) =>
      html`<option value=${value} ?selected=${current === value}>${label}</option>`;
    return html`<div class="log-filters" role="group" aria-label="Filter the log">
      <select id="log-check" aria-label="Check" @change=${set("check")}>
        ${option("", "every check", this.filter.check)} ${checks.map((c) => option(c.id, c.name, this.filter.check))}
      </select>
      <select id="log-channel" aria-label="Channel" @change=${set("channel")}>
        ${option("", "every channel", this.filter.channel)}
        ${[...this.channels].sort().map((c) => option(c, c, this.filter.channel))}
      </select>
      <select id="log-event" aria-label="Event" @change=${set("event")}>
        ${option("", "every event", this.filter.event)}
        ${Object.entries(NOTIFY_EVENT_WORDS).map(([code, words]) => option(code, words, this.filter.event))}
      </select>
      <select id="log-outcome" aria-label="Outcome" @change=${set("outcome")}>
        ${option("", "every outcome", this.filter.outcome)}
        ${OUTCOME_STATES.map((o) => option(o.code, o.label, this.filter.outcome))}
      </select>
    </div>`;
  }

  private silenceTable(silences: Silence[]) {
    if (silences.length === 0) return html`<p class="empty">No silences.</p>`;
    return html`<table class="silences">
      <thead>
        <tr>
          ${["#", "On", "From", "Until", "By", "Reason", ""].map((t) => html`<th>${t}</th>`)}
        </tr>
      </thead>
      <tbody>
        ${repeat(
          silences,
          (s) => s.id,
          (s) => html`<tr data-silence=${s.id} class=${s.active ? "active" : "ended"}>
            <td>${s.id}</td>
            <td>${s.targets}</td>
            <td>${formatTime(s.starts_at)}</td>
            <td>
              ${s.ended_at ? `${formatTime(s.ended_at)} (ended)` : formatTime(s.ends_at)}
              ${s.active ? nothing : badge("paused", "over")}
            </td>
            <td>${s.created_by}</td>
            <td class="message">${s.reason}</td>
            <td>
              ${s.active
                ? html`<button type="button" class="end-silence" @click=${() => void this.end(s.id)}>End</button>`
                : nothing}
            </td>
          </tr>`,
        )}
      </tbody>
    </table>`;
  }

  private async create(event: Event): Promise<void> {
    event.preventDefault();
    const form = event.currentTarget as HTMLFormElement;
    const value = (selector: string) => form.querySelector<HTMLInputElement | HTMLSelectElement>(selector)?.value ?? "";
    const [kind, name] = splitTarget(value("#silence-target"));
    this.formError = null;
    try {
      await this.transport.call("create_silence", {
        checks: kind === "check" ? [name] : undefined,
        groups: kind === "group" ? [name] : undefined,
        snooze: value("#silence-for"),
        reason: value("#silence-reason"),
      });
      const reason = form.querySelector<HTMLInputElement>("#silence-reason");
      if (reason) reason.value = "";
    } catch (error) {
      this.formError = asApiError(error);
      this.render();
      return;
    }
    await this.load();
  }

  private async end(id: number): Promise<void> {
    try {
      await this.transport.call("end_silence", { id: String(id) });
    } catch (error) {
      this.silences = { state: "failed", error };
      this.render();
      return;
    }
    await this.load();
  }

  private async loadSilences(): Promise<void> {
    this.silences = await load(async () => (await this.transport.call("silences", { all: this.showAll || undefined })).silences);
    this.render();
  }

  private async loadWindows(): Promise<void> {
    this.windows = await load(async () => (await this.transport.call("maintenance", {})).windows);
    this.render();
  }

  private async loadLog(): Promise<void> {
    this.log = await load(async () => (await this.transport.call("notifications", { ...this.filter, limit: 200 })).notifications);
    if (this.log.state === "ready") for (const n of this.log.value) this.channels.add(n.channel);
    this.render();
  }
}

function splitTarget(value: string): ["check" | "group", string] {
  const [kind, ...rest] = value.split(":");
  return [kind === "group" ? "group" : "check", rest.join(":")];
}

export function notificationTable(log: Notification[], names: Map<string, string>, filtered = false) {
  if (log.length === 0) return html`<p class="empty">Nothing in the log${filtered ? " matches these filters" : " yet"}.</p>`;
  return html`<table class="notifications">
    <thead>
      <tr>
        ${["At", "Event", "Channel", "About", "Title", "Outcome"].map((t) => html`<th>${t}</th>`)}
      </tr>
    </thead>
    <tbody>
      ${repeat(
        log,
        (n) => n.id,
        (n) => {
          const about = n.checks.map((c) => names.get(c) ?? c);
          return html`<tr data-notification=${n.id}>
            <td>${formatTime(n.at)}</td>
            <td>${n.event_text}${n.severity === "critical" ? html`<span class="id">critical</span>` : nothing}</td>
            <td>${n.channel}</td>
            <td>${about.length > 3 ? `${about.slice(0, 3).join(", ")}, +${about.length - 3}` : about.join(", ")}</td>
            <td class="message" title=${n.body}>${n.title}</td>
            <td>${badge(OUTCOME_COLOURS[n.outcome.state], n.outcome.text)}</td>
          </tr>`;
        },
      )}
    </tbody>
  </table>`;
}

export function windowTable(windows: MaintenanceWindow[]) {
  if (windows.length === 0) return html`<p class="empty">No maintenance windows.</p>`;
  return html`<table class="windows">
    <thead>
      <tr>
        ${["Window", "When", "Now", "Checks", "Reason"].map((t) => html`<th>${t}</th>`)}
      </tr>
    </thead>
    <tbody>
      ${repeat(
        windows,
        (w) => w.id,
        (w) => {
          // Coloured as what it does to its checks: on, to come, or over.
          const kind = w.active ? "maintenance" : w.starts_at ? "unknown" : "paused";
          return html`<tr data-window=${w.id} class=${w.active ? "active" : ""}>
            <td>${w.id}</td>
            <td>${w.when}</td>
            <td>${badge(kind, w.now)}</td>
            <td>${w.covers_names.join(", ")}</td>
            <td class="message">${w.reason ?? ""}</td>
          </tr>`;
        },
      )}
    </tbody>
  </table>`;
}
