// The views' building blocks. Views are lit-html templates rendered from state: a
// render patches the DOM in place (keyed lists keep their rows, focus stays where it
// is), so a view never finds a cell by its position to change it.

import { html, nothing, type TemplateResult } from "lit-html";

import { asApiError } from "./client";

/** A coloured pill: `kind` picks the colour (a status), `text` defaults to it. */
export function badge(kind: string, text: string = kind): TemplateResult {
  return html`<span class="badge ${kind}">${text}</span>`;
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
