// A check's circuit breaker on its page: the states as a diagram with the current one
// lit, the window as a strip of its last calls, the rates against their thresholds, a
// live countdown to the next trial, the buttons that steer it, and its last changes.

import { BREAKER_STATE_WORDS } from "../api/types";
import type { Breaker, BreakerCall, BreakerChange, BreakerState, Phrase, Transport } from "../client";
import { guarded, h } from "../dom";
import { formatTime, phraseAt } from "../model";

/** The diagram's states in the order a breaker moves through them, then the user's. */
const FLOW: BreakerState[] = ["closed", "open", "half_open"];
const STEERED: BreakerState[] = ["disabled", "forced_open"];

/** How a call in the strip is drawn: its class and what its tooltip says. */
const CALLS: Record<BreakerCall, { name: string; label: string }> = {
  ok: { name: "ok", label: "ok" },
  slow: { name: "slow", label: "slow" },
  failed: { name: "failed", label: "failed" },
  failed_slow: { name: "failed slow", label: "failed and slow" },
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
    h("p", { class: "breaker-now", role: "status" }, phraseSpan(breaker.doing)),
    strip(breaker),
    rates(breaker),
    h("p", { class: "hint" }, "Opens when ", breaker.rule.text, "."),
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
              ` ${change.text}`,
              change.reason ? h("span", { class: "hint" }, ` · ${change.reason}`) : null,
            ),
          ),
        ),
  );
  return panel;
}

/** A phrase of the core, its countdown kept current by `tickPhrases`. */
export function phraseSpan(phrase: Phrase): HTMLElement {
  const span = h("span", { class: "phrase" }, phraseAt(phrase, Date.now()));
  if (phrase.countdown) {
    span.classList.add("countdown");
    span.dataset.phrase = JSON.stringify(phrase);
  }
  return span;
}

/** Refreshes the counting phrases under `root`; a text is written only when it changes. */
export function tickPhrases(root: HTMLElement, now: number): void {
  for (const element of root.querySelectorAll<HTMLElement>("[data-phrase]")) {
    const text = phraseAt(JSON.parse(element.dataset.phrase!) as Phrase, now);
    if (element.textContent !== text) element.textContent = text;
  }
}

function diagram(current: BreakerState): HTMLElement {
  const node = (state: BreakerState) =>
    h(
      "li",
      { class: state === current ? "state current" : "state", "data-state": state, "aria-current": state === current ? "true" : null },
      BREAKER_STATE_WORDS[state],
    );
  return h(
    "div",
    { class: "breaker-diagram", "aria-label": `Breaker states, now ${BREAKER_STATE_WORDS[current]}` },
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

function strip(breaker: Breaker): HTMLElement {
  const calls = breaker.recent;
  return h(
    "div",
    { class: "strip", role: "img", "aria-label": `Last ${calls.length} calls, oldest first` },
    ...calls.map((outcome, i) => {
      const call = CALLS[outcome];
      return h("span", { class: `call ${call.name}`, title: `call ${i + 1}: ${call.label}` });
    }),
    calls.length === 0 ? h("span", { class: "empty" }, "no calls in the window yet") : null,
  );
}

/** Each rate as a bar against its threshold, and in the core's words. */
function rates(breaker: Breaker): HTMLElement {
  const label: Record<string, string> = { failed: "Failed", slow: "Slow" };
  return h(
    "div",
    { class: "rates" },
    ...breaker.rates.map((rate) =>
      h(
        "div",
        { class: "rate", "data-rate": label[rate.name] ?? rate.name },
        h("span", { class: "label" }, label[rate.name] ?? rate.name),
        h(
          "span",
          { class: "bar" },
          rate.rate === null
            ? null
            : h("span", {
                class: rate.threshold !== null && rate.rate >= rate.threshold ? "fill over" : "fill",
                style: `width: ${Math.min(100, rate.rate)}%`,
              }),
          rate.threshold === null ? null : h("span", { class: "threshold", style: `left: ${rate.threshold}%` }),
        ),
        h("span", { class: "value" }, rate.text),
      ),
    ),
  );
}
