// Running a recovery action from the dashboard: a confirmation that shows what will
// run (from a dry run), then the output live as it arrives, then exit, duration and
// whether the fix was verified. The dialog is rendered from its own state.

import { html, nothing, render } from "lit-html";

import { RUN_STATUS_WORDS } from "../api/types";
import type { ActionRun, ApiError, Transport } from "../client";
import { asApiError } from "../client";
import { badge } from "../dom";
import { formatTime } from "../model";

const listeners = new Map<string, (text: string) => void>();

/** Routes live output to the dialog that started the run. */
export function deliverOutput(ref: string, text: string): void {
  listeners.get(ref)?.(text);
}

function newRef(): string {
  const random = Math.random().toString(36).slice(2, 10);
  return `ui-${Date.now().toString(36)}-${random}`;
}

/** Where a run in the dialog stands. */
interface Dialog {
  preview: string;
  stage: "asking" | "running" | "done";
  output: string;
  result: ActionRun | null;
  error: ApiError | null;
}

/** Opens the dialog for an action; resolves with the run, or null when cancelled. */
export function runActionDialog(transport: Transport, action: string, context: string): Promise<ActionRun | null> {
  return new Promise((resolve) => {
    const dialog = document.createElement("dialog");
    dialog.className = "action-dialog";
    dialog.setAttribute("aria-label", `Run ${action}`);
    const state: Dialog = { preview: "…", stage: "asking", output: "", result: null, error: null };
    const close = () => {
      dialog.close();
      dialog.remove();
      resolve(state.result);
    };
    const run = async () => {
      const ref = newRef();
      Object.assign(state, { stage: "running", output: "" });
      draw();
      listeners.set(ref, (text) => {
        state.output += text;
        draw();
        const live = dialog.querySelector("pre.live");
        if (live) live.scrollTop = live.scrollHeight;
      });
      try {
        state.result = await transport.call("run_action", { id: action, ref });
        state.output = state.result.output;
      } catch (error) {
        state.error = asApiError(error);
      } finally {
        listeners.delete(ref);
        state.stage = "done";
        draw();
      }
    };
    const outcome = () => {
      if (state.stage === "running") return html`<span class="hint">running…</span>`;
      if (state.result) return describe(state.result);
      if (state.error) {
        return html`<strong class="error">${state.error.message}</strong><div class="hint">${state.error.resolution}</div>`;
      }
      return nothing;
    };
    const draw = () =>
      render(
        html`<h2>Run action “${action}”?</h2>
          <p class="hint">${context}</p>
          <pre class="output preview">${state.preview}</pre>
          <pre class="output live" aria-live="polite" ?hidden=${state.stage === "asking"}>${state.output}</pre>
          <div class="outcome" role="status">${outcome()}</div>
          <div class="buttons">
            <button type="button" ?disabled=${state.stage === "running"} @click=${close}>
              ${state.stage === "done" ? "Close" : "Cancel"}
            </button>
            <button
              type="button"
              class="primary"
              id="confirm-run"
              ?hidden=${state.stage === "done"}
              ?disabled=${state.stage !== "asking"}
              @click=${() => void run()}
            >Run</button>
          </div>`,
        dialog,
      );
    dialog.addEventListener("cancel", (event) => {
      if (state.stage === "running") event.preventDefault();
    });
    dialog.addEventListener("close", () => {
      if (dialog.isConnected) close();
    });
    transport
      .call("run_action", { id: action, dry_run: true })
      .then((run) => (state.preview = run.output))
      .catch((error) => (state.preview = `preview unavailable: ${asApiError(error).message}`))
      .finally(draw);
    draw();
    document.body.append(dialog);
    dialog.showModal();
    dialog.querySelector<HTMLButtonElement>("#confirm-run")?.focus();
  });
}

/** A run's outcome beside its status, in the core's words. */
export function describe(run: ActionRun) {
  return html`${badge(run.status === "ok" ? "up" : run.status === "dry_run" || run.status === "running" ? "unknown" : "down", RUN_STATUS_WORDS[run.status])} ·
    ${run.details}`;
}

/** The undo of cleanups, as a view holds it: runs being undone, and how each went. */
export class Undoing {
  private readonly busy = new Set<number>();
  private readonly said = new Map<number, { restored: number } | { error: ApiError }>();

  constructor(
    private readonly transport: Transport,
    /** Draws the view again (after an undo started or ended). */
    private readonly changed: () => void,
  ) {}

  /** A cleanup run's quarantine: what it moved away, and Undo while it can. */
  control(run: ActionRun) {
    const q = run.quarantine;
    if (!q || run.dry_run) return nothing;
    if (q.dir === null) return html`<div class="quarantine hint">${q.what} deleted at once: no undo</div>`;
    if (q.undone_at) return html`<div class="quarantine hint">${q.what} put back ${formatTime(q.undone_at)}</div>`;
    if (q.expires_at && Date.parse(q.expires_at) <= Date.now()) {
      return html`<div class="quarantine hint">${q.what} purged from the quarantine</div>`;
    }
    const said = this.said.get(run.id);
    return html`<div class="quarantine">
      ${q.what} in quarantine until ${formatTime(q.expires_at)}
      <button type="button" class="undo" data-undo=${run.id} ?disabled=${this.busy.has(run.id)} @click=${() => void this.undo(run.id)}>
        Undo
      </button>
      <span class="hint" role="status">
        ${said && "restored" in said ? ` ${said.restored} files put back` : nothing}
        ${said && "error" in said
          ? html`<strong class="error"> ${said.error.message}</strong><div>${said.error.resolution}</div>`
          : nothing}
      </span>
    </div>`;
  }

  private async undo(id: number): Promise<void> {
    this.busy.add(id);
    this.said.delete(id);
    this.changed();
    try {
      const undone = await this.transport.call("undo", { id: String(id) });
      this.said.set(id, { restored: undone.restored });
    } catch (error) {
      this.said.set(id, { error: asApiError(error) });
    } finally {
      this.busy.delete(id);
      this.changed();
    }
  }
}
