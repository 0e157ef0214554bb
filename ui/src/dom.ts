// The views' building blocks. Views are lit-html templates rendered from state: a
// render patches the DOM in place (keyed lists keep their rows, focus stays where it
// is), so a view never finds a cell by its position to change it.

import { html, nothing, type TemplateResult } from "lit-html";

import type { Mark } from "./api/types";
import { asApiError } from "./client";

/** A coloured pill: `kind` picks the colour (a status), `text` defaults to it. */
export function badge(kind: string, text: string = kind): TemplateResult {
  return html`<span class="badge ${kind}">${text}</span>`;
}

/** The core's words as prose: what it wrote between backticks (a key, a command, a
 *  value) is set as code, not shown with its backticks. */
export function prose(text: string): TemplateResult {
  const parts = text.split("`");
  // An odd count of backticks leaves the last one as it is.
  if (parts.length % 2 === 0) return html`<span class="prose">${text}</span>`;
  return html`<span class="prose">${parts.map((part, i) => (i % 2 === 1 ? html`<code>${part}</code>` : part))}</span>`;
}

/** What lies over a check's status (silenced, acknowledged, optional, behind an open
 *  breaker), in the core's words. */
export function marks(list: Mark[]): TemplateResult | typeof nothing {
  if (list.length === 0) return nothing;
  return html`<span class="marks">${list.map((mark) => html`<span class="mark ${mark.kind}">${mark.text}</span>`)}</span>`;
}

/** A failing check someone is on (silenced or acknowledged), or an optional part of its
 *  group: its badge is drawn muted, so real failures stand out. */
export function attended(list: Mark[]): boolean {
  return list.some((mark) => mark.kind === "silenced" || mark.kind === "acknowledged" || mark.kind === "optional");
}

/** What a view shows in place of what failed: the error and what to do, never a blank
 *  app. */
export function failure(error: unknown): TemplateResult {
  const e = asApiError(error);
  return html`<div class="view-error" role="alert">
    <strong>This view failed: </strong>${e.message}${e.resolution ? html`<div class="hint">${e.resolution}</div>` : nothing}
  </div>`;
}

/** A part of a view that loads: nothing yet, what it loaded, or why it could not. */
export type Loaded<T> = { state: "loading" } | { state: "ready"; value: T } | { state: "failed"; error: unknown };

export const LOADING: Loaded<never> = { state: "loading" };

/** Runs a load, and keeps what it gave or why it failed; logs the failure. */
export async function load<T>(run: () => Promise<T>): Promise<Loaded<T>> {
  try {
    return { state: "ready", value: await run() };
  } catch (error) {
    console.error(error);
    return { state: "failed", error };
  }
}

/** A loaded part drawn: by `draw` when ready, its failure in place, nothing meanwhile. */
export function loaded<T>(part: Loaded<T>, draw: (value: T) => unknown): unknown {
  switch (part.state) {
    case "loading":
      return nothing;
    case "ready":
      return draw(part.value);
    case "failed":
      return failure(part.error);
  }
}
