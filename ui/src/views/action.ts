// Running a recovery action from the dashboard: a confirmation that shows what will
// run (from a dry run), then the output live as it arrives, then exit, duration and
// whether the fix was verified.

import type { ActionRun, Transport } from "../client";
import { asApiError } from "../client";
import { badge, h } from "../dom";
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

/** Opens the dialog for an action; resolves with the run, or null when cancelled. */
export function runActionDialog(transport: Transport, action: string, context: string): Promise<ActionRun | null> {
  return new Promise((resolve) => {
    const preview = h("pre", { class: "output preview" }, "…");
    const output = h("pre", { class: "output live", hidden: true, "aria-live": "polite" });
    const outcome = h("div", { class: "outcome", role: "status" });
    const confirm = h("button", { type: "button", class: "primary", id: "confirm-run" }, "Run");
    const cancel = h("button", { type: "button" }, "Cancel");
    const dialog = h(
      "dialog",
      { class: "action-dialog", "aria-label": `Run ${action}` },
      h("h2", {}, `Run action “${action}”?`),
      h("p", { class: "hint" }, context),
      preview,
      output,
      outcome,
      h("div", { class: "buttons" }, cancel, confirm),
    );
    let result: ActionRun | null = null;
    const close = () => {
      dialog.close();
      dialog.remove();
      resolve(result);
    };
    cancel.addEventListener("click", close);
    dialog.addEventListener("cancel", (event) => {
      if (confirm.disabled && !result) event.preventDefault();
    });
    dialog.addEventListener("close", () => {
      if (dialog.isConnected) close();
    });
    transport
      .call("run_action", { id: action, dry_run: true })
      .then((run) => (preview.textContent = run.output))
      .catch((error) => (preview.textContent = `preview unavailable: ${asApiError(error).message}`));
    confirm.addEventListener("click", async () => {
      const ref = newRef();
      confirm.disabled = true;
      cancel.disabled = true;
      output.hidden = false;
      output.textContent = "";
      outcome.replaceChildren(h("span", { class: "hint" }, "running…"));
      listeners.set(ref, (text) => {
        output.textContent += text;
        output.scrollTop = output.scrollHeight;
      });
      try {
        result = await transport.call("run_action", { id: action, ref });
        output.textContent = result.output;
        outcome.replaceChildren(...describe(result));
      } catch (error) {
        const e = asApiError(error);
        outcome.replaceChildren(h("strong", { class: "error" }, e.message), h("div", { class: "hint" }, e.resolution));
      } finally {
        listeners.delete(ref);
        cancel.disabled = false;
        cancel.textContent = "Close";
        confirm.hidden = true;
      }
    });
    document.body.append(dialog);
    dialog.showModal();
    confirm.focus();
  });
}

export function describe(run: ActionRun): Node[] {
  return [
    badge(run.status === "ok" ? "up" : run.status === "dry_run" ? "unknown" : "down", run.status),
    document.createTextNode(` · ${run.details}`),
  ];
}

/** A cleanup run's quarantine: what it moved away, and Undo while it can. */
export function quarantineControl(transport: Transport, run: ActionRun, onUndone: () => void): HTMLElement | null {
  const q = run.quarantine;
  if (!q || run.dry_run) return null;
  const what = q.what;
  if (q.dir === null) return h("div", { class: "quarantine hint" }, `${what} deleted at once: no undo`);
  if (q.undone_at) return h("div", { class: "quarantine hint" }, `${what} put back ${formatTime(q.undone_at)}`);
  if (q.expires_at && Date.parse(q.expires_at) <= Date.now()) {
    return h("div", { class: "quarantine hint" }, `${what} purged from the quarantine`);
  }
  const status = h("span", { class: "hint", role: "status" });
  const button = h(
    "button",
    {
      type: "button",
      class: "undo",
      "data-undo": run.id,
      onclick: async () => {
        button.disabled = true;
        try {
          const undone = await transport.call("undo", { id: String(run.id) });
          status.textContent = ` ${undone.restored} files put back`;
          onUndone();
        } catch (error) {
          const e = asApiError(error);
          status.replaceChildren(h("strong", { class: "error" }, ` ${e.message}`), h("div", {}, e.resolution));
          button.disabled = false;
        }
      },
    },
    "Undo",
  );
  return h(
    "div",
    { class: "quarantine" },
    `${what} in quarantine until ${formatTime(q.expires_at)} `,
    button,
    status,
  );
}
