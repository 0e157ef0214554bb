// A check's circuit breaker on its page: the states as a diagram with the current one
// lit, the window as a strip of its last calls, the rates against their thresholds, a
// live countdown to the next trial, the buttons that steer it, and its last changes.
// Every word is the core's; the countdowns tick as the page renders each second.
// Widths are set through the CSSOM (`styleMap`): the window's CSP refuses style
// attributes.

import { html, nothing } from "lit-html";
import { repeat } from "lit-html/directives/repeat.js";
import { styleMap } from "lit-html/directives/style-map.js";

import { BREAKER_STATE_WORDS } from "../api/types";
import type { Breaker, BreakerCall, BreakerChange, BreakerState, Phrase } from "../client";
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

/** How each rate is labelled. */
const RATES: Record<string, string> = { failed: "Failed", slow: "Slow" };

/** A phrase of the core as it reads at `now`; one that counts down is marked so. */
export function phraseSpan(phrase: Phrase, now: number) {
  return html`<span class="phrase${phrase.countdown ? " countdown" : ""}">${phraseAt(phrase, now)}</span>`;
}

/** The breaker panel; `steer` asks the core to steer it. */
export function breakerPanel(
  breaker: Breaker,
  changes: BreakerChange[],
  steer: (state: BreakerState) => void,
  now: number,
) {
  const button = (state: BreakerState, label: string, title: string, disabled: boolean) =>
    html`<button type="button" data-steer=${state} title=${title} ?disabled=${disabled} @click=${() => steer(state)}>
      ${label}
    </button>`;
  return html`<div class="panel breaker-panel" data-breaker=${breaker.state}>
    <h3>Circuit breaker</h3>
    ${diagram(breaker.state)}
    <p class="breaker-now" role="status">${phraseSpan(breaker.doing, now)}</p>
    ${strip(breaker)} ${rates(breaker)}
    <p class="hint">Opens when ${breaker.rule.text}.</p>
    <div class="steer" role="group" aria-label="Steer the breaker">
      ${button(
        "forced_open",
        "Force open",
        "Stop probing: no request reaches the target until you reset it",
        breaker.state === "forced_open",
      )}
      ${button("disabled", "Disable", "Probe and count, but never open", breaker.state === "disabled")}
      ${button("closed", "Reset", "Close it with a fresh window", breaker.state === "closed" && breaker.calls === 0)}
    </div>
    ${changes.length === 0
      ? html`<p class="empty">No changes yet.</p>`
      : html`<ul class="breaker-changes" aria-label="Breaker changes">
          ${repeat(
            changes,
            (change) => `${change.at} ${change.text}`,
            (change) => html`<li>
              <span class="at">${formatTime(change.at)}</span> ${change.text}${change.reason
                ? html`<span class="hint"> · ${change.reason}</span>`
                : nothing}
            </li>`,
          )}
        </ul>`}
  </div>`;
}

function diagram(current: BreakerState) {
  const node = (state: BreakerState) =>
    html`<li
      class=${state === current ? "state current" : "state"}
      data-state=${state}
      aria-current=${state === current ? "true" : nothing}
    >${BREAKER_STATE_WORDS[state]}</li>`;
  return html`<div class="breaker-diagram" aria-label="Breaker states, now ${BREAKER_STATE_WORDS[current]}">
    <ol class="flow">
      ${FLOW.map((state, i) => html`${i > 0 ? html`<li class="arrow" aria-hidden="true">→</li>` : nothing}${node(state)}`)}
      <li class="back" aria-hidden="true">→ closed on good trials, open again on bad ones</li>
    </ol>
    <ul class="steered">${STEERED.map(node)}</ul>
  </div>`;
}

function strip(breaker: Breaker) {
  const calls = breaker.recent;
  return html`<div class="strip" role="img" aria-label="Last ${calls.length} calls, oldest first">
    ${calls.map((outcome, i) => {
      const call = CALLS[outcome];
      return html`<span class="call ${call.name}" title="call ${i + 1}: ${call.label}"></span>`;
    })}
    ${calls.length === 0 ? html`<span class="empty">no calls in the window yet</span>` : nothing}
  </div>`;
}

/** Each rate as a bar against its threshold, and in the core's words. */
function rates(breaker: Breaker) {
  return html`<div class="rates">
    ${breaker.rates.map((rate) => {
      const label = RATES[rate.name] ?? rate.name;
      const over = rate.rate !== null && rate.threshold !== null && rate.rate >= rate.threshold;
      return html`<div class="rate" data-rate=${label}>
        <span class="label">${label}</span>
        <span class="bar">
          ${rate.rate === null
            ? nothing
            : html`<span class=${over ? "fill over" : "fill"} style=${styleMap({ width: `${Math.min(100, rate.rate)}%` })}></span>`}
          ${rate.threshold === null ? nothing : html`<span class="threshold" style=${styleMap({ left: `${rate.threshold}%` })}></span>`}
        </span>
        <span class="value">${rate.text}</span>
      </div>`;
    })}
  </div>`;
}
