// The incidents page: open and past incidents with duration and cause, filtered by
// check, group, class of failure and time (the filters live in the page's address, so
// a filtered list can be shared and gone back to); and the table the check page
// shares, with each incident's response (acknowledge, notes).

import { html, nothing, render } from "lit-html";
import { repeat } from "lit-html/directives/repeat.js";

import { ACKNOWLEDGE, FAILURE_CLASS_WORDS, HISTORY_RANGES, REQUESTER_WORDS, RUN_STATUS_WORDS, type FailureClass } from "../api/types";
import { asApiError, type ApiError, type Incident, type Transport } from "../client";
import type { SavedExport } from "../api/types";
import { badge, failure, load, loaded, LOADING, prose, type Loaded } from "../dom";
import { byName, formatDuration, formatTime, type LiveState } from "../model";

/** What an operator does about incidents from a table: acknowledge, add a note; and
 *  what went wrong with it, by incident. */
export class Responding {
  private readonly errors = new Map<number, ApiError>();

  constructor(
    private readonly transport: Transport,
    /** Loads and draws the table again, after a response was taken. */
    private readonly changed: () => void,
  ) {}

  /** The incident's response cell. */
  cell(incident: Incident) {
    const error = this.errors.get(incident.id);
    return html`<td class="response">
      ${incident.acked
        ? html`<div class="acked">${badge("up", "acknowledged")}${incident.acked_at ? ` ${formatTime(incident.acked_at)}` : ""}</div>`
        : !incident.resolved_at
          ? html`<button
              type="button"
              class="ack"
              title="No more reminders; it ends when the check is back up"
              @click=${() => void this.act(incident.id, () => this.transport.call("ack", { id: String(incident.id) }))}
            >${ACKNOWLEDGE}</button>`
          : nothing}
      ${incident.notifications ? html`<div class="id">${incident.notifications} notified</div>` : nothing}
      ${(incident.notes ?? []).map(
        (note) => html`<div class="note"><span class="id">${formatTime(note.at)} ${note.author}</span> ${note.text}</div>`,
      )}
      <form class="note-form" @submit=${(event: Event) => this.note(event, incident.id)}>
        <input type="text" class="note-text" placeholder="add a note" aria-label="Note" />
        <button type="submit">Add</button>
      </form>
      ${error ? html`<div class="hint" role="alert">${error.message} — ${error.resolution}</div>` : nothing}
    </td>`;
  }

  private note(event: Event, id: number): void {
    event.preventDefault();
    const form = event.currentTarget as HTMLFormElement;
    const text = form.querySelector<HTMLInputElement>("input.note-text")?.value ?? "";
    void this.act(id, async () => {
      await this.transport.call("add_note", { id: String(id), text });
      form.reset();
    });
  }

  private async act(id: number, call: () => Promise<unknown>): Promise<void> {
    this.errors.delete(id);
    try {
      await call();
    } catch (error) {
      this.errors.set(id, asApiError(error));
    }
    this.changed();
  }
}

export function incidentTable(
  incidents: Incident[],
  withCheck: boolean,
  names: Map<string, string>,
  responding: Responding | null,
  now: number,
) {
  if (incidents.length === 0) return html`<p class="empty">No incidents.</p>`;
  return html`<table class="incidents">
    <thead>
      <tr>
        <th>#</th>
        <th>State</th>
        ${withCheck ? html`<th>Check</th>` : nothing}
        <th>Started</th>
        <th>Duration</th>
        <th>Cause</th>
        <th>Recovery</th>
        ${responding ? html`<th>Response</th>` : nothing}
      </tr>
    </thead>
    <tbody>
      ${repeat(
        incidents,
        (incident) => incident.id,
        (incident) => html`<tr class=${incident.resolved_at ? "resolved" : "open"} data-incident=${incident.id}>
          <td><a href="#/incident/${incident.id}" title="Its evidence: what changed, what the probe saw">${incident.id}</a></td>
          <td>${badge(incident.resolved_at ? "resolved" : "open")}</td>
          ${withCheck
            ? html`<td><a href="#/check/${encodeURIComponent(incident.check)}">${names.get(incident.check) ?? incident.check}</a></td>`
            : nothing}
          <td>${formatTime(incident.started_at)}</td>
          <td class="num">
            ${incident.duration_ms === null
              ? `${formatDuration(now - Date.parse(incident.started_at))} so far`
              : formatDuration(incident.duration_ms)}
          </td>
          <td class="message">${prose(incident.cause)}<span class="id">${FAILURE_CLASS_WORDS[incident.cause_class]}</span></td>
          <td class="recovery">
            ${(incident.actions ?? []).map(
              (run) => html`<div data-run=${run.id}>
                ${run.action} by ${REQUESTER_WORDS[run.requested_by]}: ${RUN_STATUS_WORDS[run.status]}${run.verified === true
                  ? " · fixed"
                  : run.verified === false
                    ? " · not fixed"
                    : ""}
              </div>`,
            )}
          </td>
          ${responding ? responding.cell(incident) : nothing}
        </tr>`,
      )}
    </tbody>
  </table>`;
}

/** Which incidents the page lists: each filter empty when not used. */
export interface IncidentQuery {
  check: string;
  group: string;
  class: string;
  /** How far back from now, as the core names its ranges (`24h`, `7d`). */
  range: string;
  open: boolean;
}

const FILTERS = ["check", "group", "class", "range"] as const;

/** The filters in an address's query (`#/incidents?group=web&range=7d`). */
export function incidentQuery(params: URLSearchParams): IncidentQuery {
  const [check, group, klass, range] = FILTERS.map((name) => params.get(name) ?? "");
  return { check, group, class: klass, range, open: params.get("open") === "true" };
}

/** The page's address for these filters. */
export function incidentsHash(query: IncidentQuery): string {
  const params = new URLSearchParams();
  for (const name of FILTERS) if (query[name]) params.set(name, query[name]);
  if (query.open) params.set("open", "true");
  const search = params.toString();
  return search ? `#/incidents?${search}` : "#/incidents";
}

export class IncidentsPage {
  readonly element = document.createElement("section");
  private incidents: Loaded<Incident[]> = LOADING;
  /** Why the last export failed, until the next. */
  private exportFailed: unknown = null;
  /** Where the desktop app saved the last export. */
  private saved: SavedExport | null = null;
  private readonly responding: Responding;

  constructor(
    private readonly transport: Transport,
    private readonly state: LiveState,
    private readonly query: IncidentQuery,
  ) {
    this.element.className = "incidents-page";
    this.element.setAttribute("aria-label", "Incidents");
    this.responding = new Responding(transport, () => void this.load());
  }

  async load(): Promise<void> {
    this.render();
    const q = this.query;
    this.incidents = await load(async () => {
      const { incidents } = await this.transport.call("incidents", {
        check: q.check || undefined,
        group: q.group || undefined,
        class: (q.class || undefined) as FailureClass | undefined,
        range: q.range || undefined,
        open: q.open || undefined,
        limit: 500,
      });
      return incidents;
    });
    this.render();
  }

  /** Saves the incidents the page lists as the core exports them: downloaded by a
   *  browser, saved into the user's downloads by the desktop app. */
  private async export(format: "csv" | "json"): Promise<void> {
    const q = this.query;
    const args = {
      what: "incidents",
      format,
      check: q.check || undefined,
      group: q.group || undefined,
      class: (q.class || undefined) as FailureClass | undefined,
      range: q.range || undefined,
    };
    try {
      if (this.transport.save) {
        this.saved = await this.transport.save(args);
      } else if (this.transport.download) {
        const { name, file } = await this.transport.download(args);
        const link = document.createElement("a");
        link.href = URL.createObjectURL(file);
        link.download = name;
        link.click();
        setTimeout(() => URL.revokeObjectURL(link.href), 10_000);
      }
      this.exportFailed = null;
    } catch (error) {
      this.exportFailed = error;
      this.saved = null;
    }
    this.render();
  }

  render(): void {
    const checks = [...this.state.checks.values()].sort((a, b) => byName(a.name, b.name));
    const names = new Map(checks.map((c) => [c.id, c.name]));
    const groups = [...new Set(checks.flatMap((c) => (c.group ? [c.group] : [])))].sort(byName);
    const classes = (Object.entries(FAILURE_CLASS_WORDS) as [FailureClass, string][]).sort((a, b) => byName(a[1], b[1]));
    const q = this.query;
    const choose = (change: Partial<IncidentQuery>) => {
      location.hash = incidentsHash({ ...q, ...change });
    };
    const select = (name: (typeof FILTERS)[number], label: string, all: string, options: [string, string][]) =>
      html`<select
        aria-label=${label}
        id="incident-${name}"
        @change=${(event: Event) => choose({ [name]: (event.target as HTMLSelectElement).value })}
      >
        <option value="" ?selected=${q[name] === ""}>${all}</option>
        ${options.map(([value, text]) => html`<option value=${value} ?selected=${value === q[name]}>${text}</option>`)}
      </select>`;
    render(
      html`<div class="toolbar">
          <h2>Incidents</h2>
          <div class="filters">
            ${select("check", "Check", "all checks", checks.map((c) => [c.id, c.name]))}
            ${groups.length > 0 ? select("group", "Group", "all groups", groups.map((g) => [g, g])) : nothing}
            ${select("class", "Class of failure", "every cause", classes)}
            ${select("range", "Time", "any time", HISTORY_RANGES.map((r) => [r.range, `last ${r.label}`]))}
            <label
              ><input
                type="checkbox"
                id="open-only"
                .checked=${q.open}
                @change=${(event: Event) => choose({ open: (event.target as HTMLInputElement).checked })}
              />
              open only</label
            >
            ${this.transport.download || this.transport.save
              ? html`<button type="button" class="export" data-export="csv" @click=${() => void this.export("csv")}>Export CSV</button>
                  <button type="button" class="export" data-export="json" @click=${() => void this.export("json")}>Export JSON</button>`
              : nothing}
          </div>
        </div>
        ${this.exportFailed ? failure(this.exportFailed) : nothing}
        ${this.saved ? html`<p class="saved" role="status">Saved to <code>${this.saved.path}</code> (${this.saved.lines} lines)</p>` : nothing}
        <div>${loaded(this.incidents, (incidents) => incidentTable(incidents, true, names, this.responding, Date.now()))}</div>`,
      this.element,
    );
  }
}
