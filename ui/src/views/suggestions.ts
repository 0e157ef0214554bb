// Suggested checks: what this machine runs that no check watches yet, each added to
// the config file in one click.

import { html, nothing, render } from "lit-html";

import type { Suggestion, Transport } from "../client";
import { asApiError } from "../client";
import { SUGGESTION_SOURCES } from "../api/types";
import { load, loaded, LOADING, type Loaded } from "../dom";
import { prose } from "../dom";

export class SuggestionsPage {
  readonly element = document.createElement("section");
  private suggestions: Loaded<Suggestion[]> = LOADING;
  /** What became of each click: added, or why not. */
  private outcomes = new Map<string, { added: boolean; text: string }>();

  constructor(private readonly transport: Transport) {
    this.element.className = "suggestions-page";
    this.element.setAttribute("aria-label", "Suggestions");
  }

  async load(): Promise<void> {
    this.render();
    this.suggestions = await load(async () => (await this.transport.call("suggestions", {})).suggestions);
    this.render();
  }

  private async add(suggestion: Suggestion): Promise<void> {
    try {
      await this.transport.call("add_check", suggestion.check);
      this.outcomes.set(suggestion.id, { added: true, text: "added" });
    } catch (error) {
      const errors = (error as { errors?: { message: string }[] }).errors ?? [];
      const e = asApiError(error);
      this.outcomes.set(suggestion.id, { added: false, text: errors.map((x) => x.message).join("; ") || `${e.message} — ${e.resolution}` });
    }
    this.render();
  }

  render(): void {
    render(
      html`<h2>Suggestions</h2>
        <p class="hint">What this machine runs that no check watches yet: ${SUGGESTION_SOURCES}.</p>
        ${loaded(this.suggestions, (list) =>
          list.length === 0
            ? html`<p class="empty">Nothing to suggest: everything found is watched.</p>`
            : html`<ul class="suggestions">
                ${list.map((s) => {
                  const outcome = this.outcomes.get(s.id);
                  return html`<li data-suggestion=${s.id} class=${s.kind}>
                    <div><strong>${s.title}</strong> <span class="why">${prose(s.why)}</span></div>
                    <code class="check">${Object.entries(s.check)
                      .map(([k, v]) => `${k} = ${tomlish(v)}`)
                      .join(", ")}</code>
                    ${outcome
                      ? html`<span class=${outcome.added ? "added" : "field-error"} role="status">${prose(outcome.text)}</span>`
                      : html`<button type="button" class="add" @click=${() => void this.add(s)}>Add</button>`}
                    ${outcome?.added ? html`<a href=${`#/check/${encodeURIComponent(s.id)}`}>Open</a>` : nothing}
                  </li>`;
                })}
              </ul>`,
        )}`,
      this.element,
    );
  }
}

/** A key's value as the config file would have it (an array spaced as TOML is). */
function tomlish(value: unknown): string {
  return Array.isArray(value) ? `[${value.map(tomlish).join(", ")}]` : JSON.stringify(value);
}
