// One check: what it probes, its state and hint, the latency chart over an hour, a day
// or a week with uptime figures, recent results, its incidents, its actions and their
// runs.

import type uPlot from "uplot";

import { QUICK_PAUSE } from "../api/types";
import type { Action, Check, Transport } from "../client";
import { badge, guarded, h } from "../dom";
import { formatDuration, formatLatency, formatTime, type LiveState } from "../model";
import { describe, quarantineControl, runActionDialog } from "./action";
import { breakerPanel, phraseSpan, tickPhrases } from "./breaker";
import { latencyChart } from "./chart";
import { incidentTable } from "./incidents";

export const RANGES = [
  { range: "1h", label: "Hour" },
  { range: "24h", label: "Day" },
  { range: "7d", label: "Week" },
];

export class CheckPage {
  readonly element: HTMLElement;
  private readonly header = h("div", { class: "check-header" });
  private readonly figures = h("div", { class: "figures" });
  private readonly chart = h("div", { class: "chart", "aria-label": "Latency chart" });
  private readonly results = h("div", { class: "panel" });
  private readonly incidents = h("div", { class: "panel incidents-panel" });
  private readonly actions = h("div", { class: "panel" });
  private readonly breaker = h("div", { class: "breaker-slot" });
  private readonly components = h("div", { class: "components-slot" });
  private readonly rangeButtons: HTMLButtonElement[];
  private range = "1h";
  private plot: uPlot | null = null;

  constructor(
    private readonly transport: Transport,
    private readonly state: LiveState,
    readonly id: string,
  ) {
    this.rangeButtons = RANGES.map(({ range, label }) =>
      h("button", { type: "button", "data-range": range, onclick: () => void this.setRange(range) }, label),
    );
    this.element = h(
      "section",
      { class: "check-page", "aria-label": "Check" },
      h("a", { href: "#/", class: "back" }, "← Overview"),
      this.header,
      h("div", { class: "range", role: "group", "aria-label": "Range" }, ...this.rangeButtons),
      this.figures,
      this.chart,
      this.components,
      this.breaker,
      h("div", { class: "columns" }, this.actions, this.incidents),
      this.results,
    );
  }

  async load(): Promise<void> {
    await Promise.all([
      guarded(this.header, () => this.loadHeader()),
      this.setRange(this.range),
      guarded(this.results, () => this.loadResults()),
      guarded(this.incidents, () => this.loadIncidents()),
      guarded(this.actions, () => this.loadActions()),
    ]);
  }

  /** The check changed: its header now, its results and chart soon after. */
  onCheck(): void {
    void guarded(this.header, () => this.loadHeader());
    void guarded(this.results, () => this.loadResults());
  }

  onIncidents(): void {
    void guarded(this.incidents, () => this.loadIncidents());
  }

  onRun(): void {
    void guarded(this.actions, () => this.loadActions());
  }

  destroy(): void {
    this.plot?.destroy();
  }

  /** Each second: the counting phrases (the breaker's next trial, a spent budget's next
   *  run, self-healing's next try). */
  tick(): void {
    tickPhrases(this.element, Date.now());
  }

  async setRange(range: string): Promise<void> {
    this.range = range;
    for (const button of this.rangeButtons) button.setAttribute("aria-pressed", String(button.dataset.range === range));
    await guarded(this.chart, async () => {
      const history = await this.transport.call("history", { id: this.id, range, points: 360 });
      const s = history.summary;
      this.figures.replaceChildren(
        figure("Uptime", s.uptime_pct === null ? "—" : `${s.uptime_pct.toFixed(s.uptime_pct === 100 ? 0 : 2)} %`),
        figure("Average latency", formatLatency(s.latency_avg_ms)),
        figure("Worst latency", formatLatency(s.latency_max_ms)),
        figure("Results", `${s.count}`),
        figure("Down", `${s.down}`),
      );
      this.plot?.destroy();
      this.chart.replaceChildren();
      if (history.points.length === 0) {
        this.chart.append(h("p", { class: "empty" }, "No results in this range yet."));
        this.plot = null;
      } else {
        this.plot = latencyChart(this.chart, history);
      }
    });
  }

  private async loadHeader(): Promise<void> {
    const detail = await this.transport.call("check", { id: this.id });
    const live = this.state.checks.get(this.id) ?? detail;
    const { message, hint } = live;
    const paused = live.status === "paused";
    const pause = h(
      "button",
      {
        type: "button",
        class: "pause",
        title: paused ? "Probe it again from its next tick" : "No probes and no alerts for an hour",
        onclick: () =>
          void guarded(this.header, async () => {
            await this.transport.call(paused ? "resume" : "pause", paused ? { id: this.id } : { id: this.id, for: QUICK_PAUSE.for });
            await this.loadHeader();
          }),
      },
      paused ? "Resume" : QUICK_PAUSE.label,
    );
    this.header.replaceChildren(
      h("h2", {}, badge(live.status), live.flapping ? h("span", { class: "flapping" }, "flapping") : null, " ", detail.name, h("span", { class: "id" }, detail.id), " ", pause),
      h(
        "dl",
        {},
        ...pairs([
          ["Target", `${detail.kind}: ${detail.target}`],
          ["Since", `${formatTime(live.since)} (${formatDuration(Date.now() - Date.parse(live.since))})`],
          ["Every", `${formatDuration(detail.interval_ms)}, timeout ${formatDuration(detail.timeout_ms)}`],
          ["Expect", detail.expect.join(" · ") || "—"],
          ["Degraded if", detail.degraded_if.join(" · ") || "—"],
          ["Breaker", live.breaker ? [phraseSpan(live.breaker.phrase)] : "—"],
          ["Group", detail.group ?? "—"],
          ["Depends on", detail.depends_on.join(", ") || "—"],
        ]),
      ),
      h(
        "p",
        { class: `message ${live.status}` },
        message,
        hint ? h("div", { class: "hint" }, hint) : null,
        // Behind an open breaker the cause above is the last real failure.
        live.breaker && (live.breaker.state === "open" || live.breaker.state === "forced_open")
          ? h(
              "div",
              { class: "spared" },
              phraseSpan(live.breaker.phrase),
              ": not probed meanwhile; the cause above is the last real result",
            )
          : null,
      ),
      healingLine(live.healing) ?? "",
    );
    this.components.replaceChildren(
      live.components.length > 0 ? componentsPanel(live.components) : "",
      live.service_breakers.length > 0 || live.service_breakers_error ? serviceBreakersPanel(live) : "",
    );
    this.breaker.replaceChildren(
      live.breaker ? breakerPanel(this.transport, this.id, live.breaker, detail.breaker_changes, () => this.onCheck()) : "",
    );
  }

  private async loadResults(): Promise<void> {
    const { results } = await this.transport.call("results", { id: this.id, limit: 20 });
    this.results.replaceChildren(
      h("h3", {}, "Recent results"),
      results.length === 0
        ? h("p", { class: "empty" }, "No results yet.")
        : h(
            "table",
            { class: "results" },
            h("thead", {}, h("tr", {}, h("th", {}, "At"), h("th", {}, "Status"), h("th", {}, "Latency"), h("th", {}, "Message"))),
            h(
              "tbody",
              {},
              ...results.map((r) =>
                h(
                  "tr",
                  {},
                  h("td", {}, formatTime(r.at)),
                  h("td", {}, badge(r.status)),
                  h("td", { class: "num" }, formatLatency(r.latency_ms)),
                  h("td", { class: "message" }, r.message, r.class ? h("span", { class: "id" }, r.class) : null),
                ),
              ),
            ),
          ),
    );
  }

  private async loadIncidents(): Promise<void> {
    const { incidents } = await this.transport.call("incidents", { check: this.id, limit: 20 });
    const reload = () => void this.loadIncidents();
    this.incidents.replaceChildren(h("h3", {}, "Incidents"), incidentTable(incidents, false, undefined, this.transport, reload));
  }

  private async loadActions(): Promise<void> {
    const live = this.state.checks.get(this.id);
    const [all, { runs }] = await Promise.all([
      this.transport.call("actions", {}),
      this.transport.call("action_runs", { check: this.id, limit: 10 }),
    ]);
    const actions = all.filter((action) => action.checks.includes(this.id));
    this.actions.replaceChildren(
      h("h3", {}, "Actions"),
      actions.length === 0
        ? h("p", { class: "empty" }, "No actions are configured for this check.")
        : h("ul", { class: "actions" }, ...actions.map((action) => this.actionItem(action, live?.name ?? this.id))),
      runs.length === 0
        ? h("p", { class: "empty" }, "No runs yet.")
        : h(
            "ul",
            { class: "runs" },
            ...runs.map((run) =>
              h(
                "li",
                {},
                h(
                  "details",
                  {},
                  h("summary", {}, `${formatTime(run.started_at)} · ${run.action} · ${run.requested_by} · `, ...describe(run)),
                  h("pre", { class: "output" }, run.output),
                ),
                quarantineControl(this.transport, run, () => this.onRun()),
              ),
            ),
          ),
    );
  }

  private actionItem(action: Action, checkName: string): HTMLElement {
    const auto = action.auto_for.includes(this.id);
    const spent = action.budget.blocked_until !== null;
    const run = h(
      "button",
      {
        type: "button",
        class: "action",
        "data-action": action.id,
        disabled: action.running,
        title: spent ? "Its budget is spent: reset it first" : action.description,
        onclick: () => void this.openRun(action.id, checkName),
      },
      action.running ? `${action.name}: running…` : `Run ${action.name}${action.confirm ? "…" : ""}`,
    );
    const reset = h(
      "button",
      {
        type: "button",
        class: "reset",
        "data-reset": action.id,
        title: "Forget the runs counted against its budget",
        onclick: () =>
          void guarded(this.actions, async () => {
            await this.transport.call("reset_action", { id: action.id });
            await this.loadActions();
          }),
      },
      "Reset budget",
    );
    return h(
      "li",
      { class: spent ? "action-item spent" : "action-item", "data-item": action.id },
      h("div", {}, run, " ", action.budget.runs_in_window > 0 ? reset : null),
      h("div", { class: "hint" }, action.description),
      h(
        "div",
        { class: spent ? "budget spent" : "budget" },
        // Spent: when the next run is allowed, counting down as the breaker's trial does.
        phraseSpan(action.budget.phrase),
        auto ? " · runs by itself when this check fails" : "",
      ),
    );
  }

  /** Opens the run dialog for an action (the tray asks for it with `?run=ACTION`). */
  async openRun(action: string, checkName?: string): Promise<void> {
    const run = await runActionDialog(this.transport, action, `for ${checkName ?? this.state.checks.get(this.id)?.name ?? this.id}`);
    if (run) this.onRun();
  }
}

/** What the service says about its components (Actuator health, health+json). */
function componentsPanel(components: Check["components"]): HTMLElement {
  return h(
    "div",
    { class: "panel service-components" },
    h("h3", {}, "What the service says"),
    h(
      "table",
      { class: "components" },
      h("thead", {}, h("tr", {}, h("th", {}, "Component"), h("th", {}, "Status"), h("th", {}, "Detail"))),
      h(
        "tbody",
        {},
        ...components.map((c) =>
          h(
            "tr",
            { "data-component": c.name },
            h("td", {}, c.name),
            h("td", {}, badge(c.level, c.status)),
            h("td", { class: "message" }, c.detail ?? ""),
          ),
        ),
      ),
    ),
  );
}

/** The service's own circuit breakers (resilience4j), beside this check's. */
function serviceBreakersPanel(check: Check): HTMLElement {
  return h(
    "div",
    { class: "panel service-breakers" },
    h("h3", {}, "The service's own breakers"),
    check.service_breakers_error ? h("p", { class: "error", role: "alert" }, `Cannot read them: ${check.service_breakers_error}`) : null,
    check.service_breakers.length === 0
      ? null
      : h(
          "table",
          { class: "components" },
          h(
            "thead",
            {},
            h("tr", {}, ...["Breaker", "State", "Failed", "Slow", "Calls", "Not permitted"].map((c) => h("th", {}, c))),
          ),
          h(
            "tbody",
            {},
            ...check.service_breakers.map((b) =>
              h(
                "tr",
                { "data-service-breaker": b.name },
                h("td", {}, b.name),
                h("td", {}, badge(b.level, b.state)),
                h("td", { class: "num" }, b.failure_text),
                h("td", { class: "num" }, b.slow_text),
                h("td", { class: "num" }, b.buffered_calls === null ? "—" : `${b.buffered_calls}`),
                h("td", { class: "num" }, b.not_permitted_calls === null ? "—" : `${b.not_permitted_calls}`),
              ),
            ),
          ),
        ),
  );
}

function healingLine(healing: Check["healing"]): HTMLElement | null {
  if (!healing?.phrase) return null;
  return h(
    "p",
    { class: `healing ${healing.state}`, role: "status", "data-healing": healing.state },
    phraseSpan(healing.phrase),
  );
}

function figure(label: string, value: string): HTMLElement {
  return h("div", { class: "figure" }, h("div", { class: "value" }, value), h("div", { class: "label" }, label));
}

function pairs(entries: [string, string | (Node | string)[]][]): HTMLElement[] {
  return entries.flatMap(([term, value]) => [h("dt", {}, term), h("dd", {}, ...(typeof value === "string" ? [value] : value))]);
}
