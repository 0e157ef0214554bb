// The action-run log: every run, who asked, for which check and incident, its outcome.

import { html, render } from "lit-html";
import { repeat } from "lit-html/directives/repeat.js";

import { REQUESTER_WORDS } from "../api/types";
import type { ActionRun, Transport } from "../client";
import { load, loaded, LOADING, type Loaded } from "../dom";
import { formatTime, type LiveState } from "../model";
import { describe, Undoing } from "./action";

export class RunsPage {
  readonly element = document.createElement("section");
  private runs: Loaded<ActionRun[]> = LOADING;
  private readonly undoing: Undoing;

  constructor(
    private readonly transport: Transport,
    private readonly state: LiveState,
  ) {
    this.element.className = "runs-page";
    this.element.setAttribute("aria-label", "Action runs");
    this.undoing = new Undoing(transport, () => void this.load());
  }

  async load(): Promise<void> {
    this.render();
    this.runs = await load(async () => (await this.transport.call("action_runs", { limit: 200 })).runs);
    this.render();
  }

  render(): void {
    render(
      html`<h2>Action runs</h2>
        <div>
          ${loaded(this.runs, (runs) =>
            runs.length === 0
              ? html`<p class="empty">No action has run yet.</p>`
              : html`<ul class="runs">
                  ${repeat(
                    runs,
                    (run) => run.id,
                    (run) => html`<li data-run=${run.id}>
                      <details>
                        <summary>
                          ${formatTime(run.started_at)} · ${run.action}${run.check
                            ? ` · ${this.state.checks.get(run.check)?.name ?? run.check}`
                            : ""}${run.incident ? ` · incident #${run.incident}` : ""}
                          · by ${REQUESTER_WORDS[run.requested_by]} · ${describe(run)}
                        </summary>
                        <pre class="output">${run.output}</pre>
                      </details>
                      ${this.undoing.control(run)}
                    </li>`,
                  )}
                </ul>`,
          )}
        </div>`,
      this.element,
    );
  }
}
