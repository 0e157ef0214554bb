// A check's circuit breaker on its page: the states as a diagram with the current one
// lit, the window as a strip of its last calls, the rates against their thresholds, a
// live countdown to the next trial, the buttons that steer it, and its last changes.

import type { Breaker, BreakerChange, BreakerState, Transport } from "../client";
import { guarded, h } from "../dom";
import { BREAKER_STATES, breakerRuleText, breakerText, formatDuration, formatRate, formatTime } from "../model";

/** The diagram's states in the order a breaker moves through them, then the user's. */
const FLOW: BreakerState[] = ["closed", "open", "half_open"];
const STEERED: BreakerState[] = ["disabled", "forced_open"];

const CALLS: Record<string, { name: string; label: string }> = {
  o: { name: "ok", label: "ok" },
  s: { name: "slow", label: "slow" },
  f: { name: "failed", label: "failed" },
  F: { name: "failed slow", label: "failed and slow" },
};

/** The breaker panel. `changed` runs after a steer, to reload the page's parts. */
export function breakerPanel(
  transport: Transport,
  checkId: string,
  breaker: Breaker,
  changes: BreakerChange[],
  changed: () => void,
): HTMLElement {
  const panel = h("div", { class: "panel breaker-panel", "data-breaker": breaker.state });
  const steer = (state: BreakerState, label: string, title: string, disabled: boolean) =>
    h(
      "button",
      {
        type: "button",
        "data-steer": state,
        title,
        disabled,
        onclick: () =>
          void guarded(panel, async () => {
            await transport.call("steer_breaker", { id: checkId, state });
            changed();
          }),
      },
      label,
    );
  panel.append(
    h("h3", {}, "Circuit breaker"),
    diagram(breaker.state),
    h("p", { class: "breaker-now", role: "status" }, ...now(breaker)),
    strip(breaker),
    rates(breaker),
    h("p", { class: "hint" }, "Opens when ", breakerRuleText(breaker.rule), "."),
    h(
      "div",
      { class: "steer", role: "group", "aria-label": "Steer the breaker" },
      steer(
        "forced_open",
        "Force open",
        "Stop probing: no request reaches the target until you reset it",
        breaker.state === "forced_open",
      ),
      steer("disabled", "Disable", "Probe and count, but never open", breaker.state === "disabled"),
      steer("closed", "Reset", "Close it with a fresh window", breaker.state === "closed" && breaker.calls === 0),
    ),
    changes.length === 0
      ? h("p", { class: "empty" }, "No changes yet.")
      : h(
          "ul",
          { class: "breaker-changes", "aria-label": "Breaker changes" },
          ...changes.map((change) =>
            h(
              "li",
              {},
              h("span", { class: "at" }, formatTime(change.at)),
              ` ${BREAKER_STATES[change.from]} → ${BREAKER_STATES[change.to]}`,
              change.by === "breaker" ? "" : ` by ${change.by}`,
              change.reason ? h("span", { class: "hint" }, ` · ${change.reason}`) : null,
            ),
          ),
        ),
  );
  return panel;
}

/** A breaker in one phrase, as the overview says it, with a live countdown when open. */
export function breakerLine(breaker: Breaker): (Node | string)[] {
  if (breaker.state !== "open" || !breaker.next_trial_at) return [breakerText(breaker, Date.now())];
  return ["open, trial in ", countdownSpan(breaker.next_trial_at)];
}

/** A countdown to `until` ("12 s", then "due") that `tickCountdowns` keeps current. */
export function countdownSpan(until: string): HTMLElement {
  return h("span", { class: "countdown", "data-until": until }, countdown(until, Date.now()));
}

function countdown(until: string, now: number): string {
  const wait = Date.parse(until) - now;
  return wait > 0 ? formatDuration(wait) : "due";
}

/** Refreshes the countdowns under `root` (`data-until`): "12 s", then "due". */
export function tickCountdowns(root: HTMLElement, now: number): void {
  for (const element of root.querySelectorAll<HTMLElement>("[data-until]")) {
    const text = countdown(element.dataset.until!, now);
    if (element.textContent !== text) element.textContent = text;
  }
}

function diagram(current: BreakerState): HTMLElement {
  const node = (state: BreakerState) =>
    h(
      "li",
      { class: state === current ? "state current" : "state", "data-state": state, "aria-current": state === current ? "true" : null },
      BREAKER_STATES[state],
    );
  return h(
    "div",
    { class: "breaker-diagram", "aria-label": `Breaker states, now ${BREAKER_STATES[current]}` },
    h(
      "ol",
      { class: "flow" },
      ...FLOW.flatMap((state, i) => [i > 0 ? h("li", { class: "arrow", "aria-hidden": "true" }, "→") : null, node(state)]).filter(
        (n): n is HTMLLIElement => n !== null,
      ),
      h("li", { class: "back", "aria-hidden": "true" }, "→ closed on good trials, open again on bad ones"),
    ),
    h("ul", { class: "steered" }, ...STEERED.map(node)),
  );
}

/** What it is doing now, with the countdown to its next trial. */
function now(breaker: Breaker): (Node | string)[] {
  switch (breaker.state) {
    case "open":
      return [
        `Open since ${formatTime(breaker.opened_at)}: no request reaches the target. Trial in `,
        breaker.next_trial_at ? countdownSpan(breaker.next_trial_at) : "—",
        breaker.failed_trials > 0
          ? ` (after ${breaker.failed_trials} failed trial${breaker.failed_trials === 1 ? "" : "s"}, the wait doubles)`
          : "",
      ];
    case "half_open":
      return [`Half-open: ${breaker.calls} of ${breaker.rule.half_open_calls} trial calls done; their rates decide.`];
    case "forced_open":
      return ["Forced open: no probe reaches the target until you reset it."];
    case "disabled":
      return ["Disabled: probes go on and are counted; it never opens."];
    case "closed":
      return ["Closed: every probe goes through."];
  }
}

function strip(breaker: Breaker): HTMLElement {
  const calls = [...breaker.recent];
  return h(
    "div",
    { class: "strip", role: "img", "aria-label": `Last ${calls.length} calls, oldest first` },
    ...calls.map((letter, i) => {
      const call = CALLS[letter] ?? { name: "", label: letter };
      return h("span", { class: `call ${call.name}`, title: `call ${i + 1}: ${call.label}` });
    }),
    calls.length === 0 ? h("span", { class: "empty" }, "no calls in the window yet") : null,
  );
}

function rates(breaker: Breaker): HTMLElement {
  const row = (label: string, rate: number | null, threshold: number | null, part: number) =>
    h(
      "div",
      { class: "rate", "data-rate": label },
      h("span", { class: "label" }, label),
      h(
        "span",
        { class: "bar" },
        rate === null ? null : h("span", { class: rate >= (threshold ?? 101) ? "fill over" : "fill", style: `width: ${Math.min(100, rate)}%` }),
        threshold === null ? null : h("span", { class: "threshold", style: `left: ${threshold}%`, title: `opens at ${formatRate(threshold)}` }),
      ),
      h(
        "span",
        { class: "value" },
        rate === null
          ? `— (${breaker.calls} of ${minCalls(breaker)} calls)`
          : `${formatRate(rate)} (${part} of ${breaker.calls})${threshold === null ? "" : ` · opens at ${formatRate(threshold)}`}`,
      ),
    );
  return h(
    "div",
    { class: "rates" },
    row("Failed", breaker.failure_rate, breaker.rule.failure_rate, breaker.failed_calls),
    row("Slow", breaker.slow_rate, breaker.rule.slow_rate, breaker.slow_calls),
  );
}

/** The calls below which no rate is shown. */
function minCalls(breaker: Breaker): number {
  if (breaker.state === "half_open") return breaker.rule.half_open_calls;
  const min = breaker.rule.min_calls ?? 1;
  return breaker.rule.window_calls !== null ? Math.min(min, breaker.rule.window_calls) : min;
}
