// One check: what it probes, its state and hint, its uptime over 24 h, 7, 30 and 90 days
// with MTTR and MTBF, the latency chart over a range from an hour to 90 days with its
// incidents shaded, recent results, its incidents, its actions and their runs. The page is one template rendered from what it loaded and the live state; the
// chart is uPlot's, in a container the template keeps.

import { html, nothing, render } from "lit-html";
import { ref } from "lit-html/directives/ref.js";
import { repeat } from "lit-html/directives/repeat.js";
import type uPlot from "uplot";

import { ACKNOWLEDGE, FAILURE_CLASS_WORDS, HISTORY_RANGES, MEAN_TIMES, QUICK_PAUSE, REQUESTER_WORDS, SILENCE_MENU, SNOOZES } from "../api/types";
import type { Action, ActionRun, BreakerState, Check, CheckDetail, History, Incident, Results, Transport, Uptime } from "../client";
import { attended, badge, failure, load, loaded, LOADING, prose, type Loaded } from "../dom";
import { formatDuration, formatLatency, formatTime, type LiveState } from "../model";
import { describe, runActionDialog, Undoing } from "./action";
import { breakerPanel, phraseSpan } from "./breaker";
import { formatMeasured, historyChart, incidentBands } from "./chart";
import { incidentTable, Responding } from "./incidents";

export class CheckPage {
  readonly element = document.createElement("section");
  private detail: Loaded<CheckDetail> = LOADING;
  private history: Loaded<History> = LOADING;
  private uptime: Loaded<Uptime> = LOADING;
  private results: Loaded<Results> = LOADING;
  private incidents: Loaded<Incident[]> = LOADING;
  private actions: Loaded<{ actions: Action[]; runs: ActionRun[] }> = LOADING;
  /** Why the last thing asked of the page (pause, steer, reset) failed, until the next. */
  private refused: unknown = null;
  private range = "1h";
  private plot: uPlot | null = null;
  /** The chart's container, kept by the template. */
  private chart: HTMLElement | null = null;
  private readonly undoing: Undoing;
  private readonly responding: Responding;

  constructor(
    private readonly transport: Transport,
    private readonly state: LiveState,
    readonly id: string,
  ) {
    this.element.className = "check-page";
    this.element.setAttribute("aria-label", "Check");
    this.undoing = new Undoing(transport, () => this.onRun());
    this.responding = new Responding(transport, () => this.onIncidents());
  }

  async load(): Promise<void> {
    this.render();
    await Promise.all([
      this.loadDetail(),
      this.loadUptime(),
      this.setRange(this.range),
      this.loadResults(),
      this.loadIncidents(),
      this.loadActions(),
    ]);
  }

  /** The check changed: its header now, its results soon after. */
  onCheck(): void {
    void this.loadDetail();
    void this.loadResults();
  }

  onIncidents(): void {
    void this.loadIncidents();
    void this.loadUptime();
  }

  onRun(): void {
    void this.loadActions();
  }

  destroy(): void {
    this.plot?.destroy();
  }

  /** Each second: the counting phrases (the breaker's next trial, a spent budget's next
   *  run, self-healing's next try) and relative times. */
  tick(): void {
    this.render();
  }

  render(): void {
    render(this.template(Date.now()), this.element);
  }

  async setRange(range: string): Promise<void> {
    this.range = range;
    this.render();
    const history = await load(() => this.transport.call("history", { id: this.id, range, points: 360 }));
    // A later pick answered first: this one is stale.
    if (this.range !== range) return;
    this.history = history;
    this.render();
    this.draw();
  }

  /** Draws the chart again from what is loaded (the history, the incidents on it). */
  private draw(): void {
    this.plot?.destroy();
    this.plot = null;
    if (this.chart && this.history.state === "ready" && this.history.value.points.length > 0) {
      const incidents = this.uptime.state === "ready" ? this.uptime.value.incidents : [];
      const bands = incidentBands(this.history.value, incidents);
      // How many incidents it shades, for whoever reads the page (and its tests).
      this.chart.dataset.incidents = String(bands.length);
      this.plot = historyChart(this.chart, this.history.value, bands);
    }
  }

  private async loadUptime(): Promise<void> {
    this.uptime = await load(() => this.transport.call("uptime", { id: this.id }));
    this.render();
    this.draw();
  }

  /** Opens the run dialog for an action (the tray asks for it with `?run=ACTION`). */
  async openRun(action: string, checkName?: string): Promise<void> {
    const run = await runActionDialog(this.transport, action, `for ${checkName ?? this.state.checks.get(this.id)?.name ?? this.id}`);
    if (run) this.onRun();
  }

  private async loadDetail(): Promise<void> {
    this.detail = await load(() => this.transport.call("check", { id: this.id }));
    this.render();
  }

  private async loadResults(): Promise<void> {
    this.results = await load(() => this.transport.call("results", { id: this.id, limit: 20 }));
    this.render();
  }

  private async loadIncidents(): Promise<void> {
    this.incidents = await load(async () => (await this.transport.call("incidents", { check: this.id, limit: 20 })).incidents);
    this.render();
  }

  private async loadActions(): Promise<void> {
    this.actions = await load(async () => {
      const [all, { runs }] = await Promise.all([
        this.transport.call("actions", {}),
        this.transport.call("action_runs", { check: this.id, limit: 10 }),
      ]);
      return { actions: all.filter((action) => action.checks.includes(this.id)), runs };
    });
    this.render();
  }

  /** Asks the core something on the page's behalf; a refusal shows in the header. */
  private async ask(call: () => Promise<unknown>, then: () => Promise<void>): Promise<void> {
    this.refused = null;
    try {
      await call();
    } catch (error) {
      this.refused = error;
    }
    await then();
  }

  private template(now: number) {
    return html`<a href="#/" class="back">← Overview</a>
      <div class="check-header">${loaded(this.detail, (detail) => this.header(detail, now))}</div>
      <div class="uptime" aria-label="Uptime">${loaded(this.uptime, uptimeTiles)}</div>
      <div class="range" role="group" aria-label="Range">
        ${HISTORY_RANGES.map(
          ({ range, label }) =>
            html`<button type="button" data-range=${range} aria-pressed=${String(range === this.range)} @click=${() => void this.setRange(range)}>
              ${label}
            </button>`,
        )}
      </div>
      <div class="figures">${this.history.state === "ready" ? figures(this.history.value) : nothing}</div>
      <div class="chart" aria-label="Latency chart" ${ref((element) => (this.chart = (element as HTMLElement | undefined) ?? null))}>
        ${this.history.state === "failed" ? failure(this.history.error) : nothing}
        ${this.history.state === "ready" && this.history.value.points.length === 0
          ? html`<p class="empty">No results in this range yet.</p>`
          : nothing}
      </div>
      <div class="components-slot">${this.components()}</div>
      <div class="breaker-slot">${this.breaker(now)}</div>
      <div class="columns">
        <div class="panel">${loaded(this.actions, ({ actions, runs }) => this.actionsPanel(actions, runs))}</div>
        <div class="panel incidents-panel">
          ${loaded(
            this.incidents,
            (incidents) => html`<h3>Incidents</h3>
              ${incidentTable(incidents, false, new Map(), this.responding, now)}`,
          )}
        </div>
      </div>
      <div class="panel">${loaded(this.results, (results) => resultsTable(results))}</div>`;
  }

  /** The live check when the dashboard has it, else the one loaded with the detail. */
  private live(detail: CheckDetail): Check {
    return this.state.checks.get(this.id) ?? detail;
  }

  private header(detail: CheckDetail, now: number) {
    const live = this.live(detail);
    const paused = live.status === "paused";
    const pause = () =>
      this.ask(
        () => this.transport.call(paused ? "resume" : "pause", paused ? { id: this.id } : { id: this.id, for: QUICK_PAUSE.for }),
        () => this.loadDetail(),
      );
    const silence = (event: Event) => {
      const select = event.target as HTMLSelectElement;
      const snooze = select.value;
      select.value = "";
      if (!snooze) return;
      void this.ask(
        () => this.transport.call("create_silence", { checks: [this.id], snooze, reason: "silenced from the dashboard" }),
        () => this.loadDetail(),
      );
    };
    const unsilence = (id: number) =>
      void this.ask(
        () => this.transport.call("end_silence", { id: String(id) }),
        () => this.loadDetail(),
      );
    const incident = live.open_incident;
    const acknowledge = (id: number) =>
      void this.ask(
        () => this.transport.call("ack", { id: String(id) }),
        () => Promise.all([this.loadDetail(), this.loadIncidents()]).then(() => undefined),
      );
    return html`<h2 class=${attended(live.marks) ? "attended" : ""}>
        ${badge(live.status)}${live.flapping ? html`<span class="flapping">flapping</span>` : nothing} ${detail.name}<span class="id"
          >${detail.id}</span
        >
        <span class="controls">
          ${live.silenced
            ? html`<button type="button" class="unsilence" @click=${() => unsilence(live.silenced!.id)}>End silence</button>`
            : html`<select class="silence" aria-label=${SILENCE_MENU} @change=${silence}>
                <option value="">${SILENCE_MENU}…</option>
                ${SNOOZES.map((s) => html`<option value=${s.code}>${s.label}</option>`)}
              </select>`}
          ${incident !== null && !live.acked
            ? html`<button type="button" class="ack" @click=${() => acknowledge(incident)}>${ACKNOWLEDGE}</button>`
            : nothing}
          <button
            type="button"
            class="pause"
            title=${paused ? "Probe it again from its next tick" : "No probes and no alerts for an hour"}
            @click=${() => void pause()}
          >${paused ? "Resume" : QUICK_PAUSE.label}</button>
          <a class="button edit" href=${`#/check/${encodeURIComponent(detail.id)}/edit`}>Edit</a>
        </span>
      </h2>
      <p class="state" data-state>${prose(live.text)}</p>
      ${this.refused ? failure(this.refused) : nothing}
      <dl>
        ${pair("Target", `${detail.kind}: ${detail.target}`)}
        ${pair("Since", `${formatTime(live.since)} (${formatDuration(now - Date.parse(live.since))})`)}
        ${pair("Every", `${formatDuration(detail.interval_ms)}, timeout ${formatDuration(detail.timeout_ms)}`)}
        ${pair("Expect", detail.expect.join(" · ") || "—")} ${pair("Degraded if", detail.degraded_if.join(" · ") || "—")}
        ${pair("Breaker", live.breaker ? phraseSpan(live.breaker.phrase, now) : "—")} ${pair("Group", detail.group ?? "—")}
        ${pair("Depends on", detail.depends_on.join(", ") || "—")}
      </dl>
      ${detail.push ? pushPanel(detail.push) : nothing}
      ${live.hint ? html`<p class="message ${live.status}"><span class="hint">${prose(live.hint)}</span></p>` : nothing}
      ${live.healing?.phrase
        ? html`<p class="healing ${live.healing.state}" role="status" data-healing=${live.healing.state}>
            ${phraseSpan(live.healing.phrase, now)}
          </p>`
        : nothing}`;
  }

  private components() {
    if (this.detail.state !== "ready") return nothing;
    const live = this.live(this.detail.value);
    return html`${live.components.length > 0 ? componentsPanel(live.components) : nothing}
    ${live.service_breakers.length > 0 || live.service_breakers_error ? serviceBreakersPanel(live) : nothing}`;
  }

  private breaker(now: number) {
    if (this.detail.state !== "ready") return nothing;
    const detail = this.detail.value;
    const breaker = this.live(detail).breaker;
    if (!breaker) return nothing;
    const steer = (state: BreakerState) =>
      void this.ask(
        () => this.transport.call("steer_breaker", { id: this.id, state }),
        () => this.loadDetail(),
      );
    return breakerPanel(breaker, detail.breaker_changes, steer, now);
  }

  private actionsPanel(actions: Action[], runs: ActionRun[]) {
    const name = this.state.checks.get(this.id)?.name ?? this.id;
    return html`<h3>Actions</h3>
      ${actions.length === 0
        ? html`<p class="empty">No actions are configured for this check.</p>`
        : html`<ul class="actions">
            ${repeat(
              actions,
              (action) => action.id,
              (action) => this.actionItem(action, name),
            )}
          </ul>`}
      ${runs.length === 0
        ? html`<p class="empty">No runs yet.</p>`
        : html`<ul class="runs">
            ${repeat(
              runs,
              (run) => run.id,
              (run) => html`<li>
                <details>
                  <summary>${formatTime(run.started_at)} · ${run.action} · by ${REQUESTER_WORDS[run.requested_by]} · ${describe(run)}</summary>
                  <pre class="output">${run.output}</pre>
                </details>
                ${this.undoing.control(run)}
              </li>`,
            )}
          </ul>`}`;
  }

  private actionItem(action: Action, checkName: string) {
    const auto = action.auto_for.includes(this.id);
    const spent = action.budget.blocked_until !== null;
    const reset = () =>
      void this.ask(
        () => this.transport.call("reset_action", { id: action.id }),
        () => this.loadActions(),
      );
    return html`<li class=${spent ? "action-item spent" : "action-item"} data-item=${action.id}>
      <div>
        <button
          type="button"
          class="action"
          data-action=${action.id}
          ?disabled=${action.running}
          title=${spent ? "Its budget is spent: reset it first" : action.description}
          @click=${() => void this.openRun(action.id, checkName)}
        >${action.running ? `${action.name}: running…` : `Run ${action.name}${action.confirm ? "…" : ""}`}</button>
        ${action.budget.runs_in_window > 0
          ? html`<button type="button" class="reset" data-reset=${action.id} title="Forget the runs counted against its budget" @click=${reset}>
              Reset budget
            </button>`
          : nothing}
      </div>
      <div class="hint">${action.description}</div>
      <div class=${spent ? "budget spent" : "budget"}>
        ${phraseSpan(action.budget.phrase, Date.now())}${auto ? " · runs by itself when this check fails" : ""}
      </div>
    </li>`;
  }
}

const figure = (label: string, value: string, title = "") =>
  html`<div class="figure" title=${title}><div class="value">${value}</div><div class="label">${label}</div></div>`;

/** The four windows' uptime, each with its downtime and failures, then MTTR and MTBF. */
function uptimeTiles(uptime: Uptime) {
  const w = uptime.windows;
  return html`${[w["24h"], w["7d"], w["30d"], w["90d"]].map(
    (window) =>
      html`<div class="figure" data-window=${window.name}>
        <div class="value">${window.text}</div>
        <div class="label">uptime ${window.name}</div>
        <div class="label">down ${window.downtime_text} · ${window.failures} of ${window.results} failed</div>
      </div>`,
  )}
  ${figure(MEAN_TIMES.mttr.label, uptime.mttr_text ?? "—", MEAN_TIMES.mttr.hint)}
  ${figure(MEAN_TIMES.mtbf.label, uptime.mtbf_text ?? "—", MEAN_TIMES.mtbf.hint)}`;
}

/** The range's summary: uptime, latency (or the measured value), results. */
function figures(history: History) {
  const s = history.summary;
  const m = history.measure;
  return html`${figure("Uptime in range", history.uptime_text)}
  ${m
    ? html`${figure(`Average ${m.label}`, formatMeasured(s.value_avg, m))} ${figure(`Highest ${m.label}`, formatMeasured(s.value_max, m))}`
    : html`${figure("Median latency", formatLatency(s.p50))} ${figure("95th percentile", formatLatency(s.p95))} ${figure("Worst latency", formatLatency(s.max))}`}
  ${figure("Results", `${s.count}`)} ${figure("Down", `${s.down}`)}`;
}

function resultsTable({ results, measure }: Results) {
  return html`<h3>Recent results</h3>
    ${results.length === 0
      ? html`<p class="empty">No results yet.</p>`
      : html`<table class="results">
          <thead>
            <tr>
              <th>At</th>
              <th>Status</th>
              ${measure ? html`<th>${measure.label}</th>` : html`<th>Latency</th>`}
              <th>Message</th>
            </tr>
          </thead>
          <tbody>
            ${repeat(
              results,
              (r) => r.at,
              (r) => html`<tr>
                <td>${formatTime(r.at)}</td>
                <td>${badge(r.status)}</td>
                <td class="num">${measure ? formatMeasured(r.value, measure) : formatLatency(r.latency_ms)}</td>
                <td class="message">${prose(r.message)}${r.class ? html`<span class="id">${FAILURE_CLASS_WORDS[r.class]}</span>` : nothing}</td>
              </tr>`,
            )}
          </tbody>
        </table>`}`;
}

/** What the service says about its components (Actuator health, health+json). */
function componentsPanel(components: Check["components"]) {
  return html`<div class="panel service-components">
    <h3>What the service says</h3>
    <table class="components">
      <thead>
        <tr>
          <th>Component</th>
          <th>Status</th>
          <th>Detail</th>
        </tr>
      </thead>
      <tbody>
        ${repeat(
          components,
          (c) => c.name,
          (c) => html`<tr data-component=${c.name}>
            <td>${c.name}</td>
            <td>${badge(c.level, c.status)}</td>
            <td class="message">${c.detail ?? ""}</td>
          </tr>`,
        )}
      </tbody>
    </table>
  </div>`;
}

/** The service's own circuit breakers (resilience4j), beside this check's. */
function serviceBreakersPanel(check: Check) {
  return html`<div class="panel service-breakers">
    <h3>The service's own breakers</h3>
    ${check.service_breakers_error
      ? html`<p class="error" role="alert">Cannot read them: ${check.service_breakers_error}</p>`
      : nothing}
    ${check.service_breakers.length === 0
      ? nothing
      : html`<table class="components">
          <thead>
            <tr>
              ${["Breaker", "State", "Failed", "Slow", "Calls", "Not permitted"].map((c) => html`<th>${c}</th>`)}
            </tr>
          </thead>
          <tbody>
            ${repeat(
              check.service_breakers,
              (b) => b.name,
              (b) => html`<tr data-service-breaker=${b.name}>
                <td>${b.name}</td>
                <td>${badge(b.level, b.state)}</td>
                <td class="num">${b.failure_text}</td>
                <td class="num">${b.slow_text}</td>
                <td class="num">${b.buffered_calls === null ? "—" : `${b.buffered_calls}`}</td>
                <td class="num">${b.not_permitted_calls === null ? "—" : `${b.not_permitted_calls}`}</td>
              </tr>`,
            )}
          </tbody>
        </table>`}
  </div>`;
}

/** A heartbeat's push URL and the lines a job ends with, each with a copy button. */
function pushPanel(push: NonNullable<CheckDetail["push"]>) {
  const line = (label: string, text: string, name: string) =>
    html`<div class="push-line" data-push=${name}>
      <span class="push-label">${label}</span><code>${text}</code
      ><button type="button" class="copy" @click=${(event: Event) => void copy(text, event.currentTarget as HTMLButtonElement)}>
        Copy
      </button>
    </div>`;
  return html`<section class="push" aria-label="Push URL">
    <h3>Push URL</h3>
    <p class="empty">The job pings this URL when it is done. The token in it is the secret: keep it as you would a password.</p>
    ${line("URL", push.url, "url")} ${line("On success", push.curl, "curl")} ${line("On failure", push.curl_fail, "curl_fail")}
  </section>`;
}

/** Puts `text` on the clipboard and says so on the button. */
async function copy(text: string, button: HTMLButtonElement) {
  try {
    await navigator.clipboard.writeText(text);
    button.textContent = "Copied";
  } catch {
    // No clipboard (an insecure context, a denied permission): select it to copy by hand.
    const code = button.previousElementSibling;
    if (code) window.getSelection()?.selectAllChildren(code);
    button.textContent = "Selected: press Ctrl+C";
  }
}

function pair(term: string, value: unknown) {
  return html`<dt>${term}</dt>
    <dd>${value}</dd>`;
}
