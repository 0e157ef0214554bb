// Bulk add: paste lines (URLs, host:port, host names), pick what they become and what
// each gets, review the checks the core makes of them, then add them at once.

import { html, nothing, render } from "lit-html";

import { BULK_KINDS } from "../api/types";
import type { ImportPreview, Proposal, Transport } from "../client";
import { asApiError } from "../client";
import { prose } from "../dom";

export class BulkPage {
  readonly element = document.createElement("section");
  private lines = "";
  private kind = "auto";
  private interval = "";
  private proposals: Proposal[] | null = null;
  private problem: { message: string; resolution: string } | null = null;
  private busy = false;
  /** Another monitor's config, read: its checks and what it could not say. */
  private imported: ImportPreview | null = null;

  constructor(private readonly transport: Transport) {
    this.element.className = "bulk-page";
    this.element.setAttribute("aria-label", "Add checks in bulk");
  }

  async load(): Promise<void> {
    this.render();
  }

  private defaults(): Record<string, unknown> {
    return this.interval.trim() ? { interval: this.interval.trim() } : {};
  }

  private async review(): Promise<void> {
    this.busy = true;
    this.problem = null;
    this.render();
    try {
      const preview = await this.transport.call("preview_bulk", { lines: this.lines, kind: this.kind, defaults: this.defaults() });
      this.proposals = preview.proposals;
    } catch (error) {
      this.problem = asApiError(error);
    }
    this.busy = false;
    this.render();
  }

  private async importFile(file: File): Promise<void> {
    this.busy = true;
    this.problem = null;
    this.imported = null;
    this.render();
    try {
      this.imported = await this.transport.call("preview_import", { text: await file.text() });
    } catch (error) {
      this.problem = asApiError(error);
    }
    this.busy = false;
    this.render();
  }

  private async add(imported = false): Promise<void> {
    const checks = imported
      ? (this.imported?.checks ?? [])
      : (this.proposals ?? []).flatMap((p) => (p.check ? [p.check] : []));
    this.busy = true;
    this.problem = null;
    this.render();
    try {
      await this.transport.call("add_checks", { checks });
      location.hash = "#/";
    } catch (error) {
      const errors = (error as { errors?: { message: string; resolution: string }[] }).errors ?? [];
      const e = asApiError(error);
      this.problem = errors.length ? { message: errors.map((x) => x.message).join("; "), resolution: e.resolution } : e;
    }
    this.busy = false;
    this.render();
  }

  private importedPanel(imported: ImportPreview) {
    const count = imported.checks.length;
    return html`<div class="imported" data-format=${imported.format}>
      <p>${count} check${count === 1 ? "" : "s"} from this ${imported.format} file:</p>
      <ul class="imported-checks">
        ${imported.checks.map((c) => html`<li><code>${String(c.id)}</code> ${String(c.kind)}</li>`)}
      </ul>
      ${imported.skipped.length
        ? html`<p>Left out:</p>
            <ul class="skipped">
              ${imported.skipped.map((s) => html`<li><strong>${s.item}</strong>: ${prose(s.why)}</li>`)}
            </ul>`
        : nothing}
      ${imported.notes.length
        ? html`<ul class="notes">
            ${imported.notes.map((n) => html`<li><code>${n.item}</code>: ${prose(n.why)}</li>`)}
          </ul>`
        : nothing}
      <button type="button" id="add-imported" class="primary" ?disabled=${this.busy || count === 0} @click=${() => void this.add(true)}>
        Add ${count} imported check${count === 1 ? "" : "s"}
      </button>
    </div>`;
  }

  render(): void {
    const proposals = this.proposals;
    const good = proposals?.filter((p) => p.check) ?? [];
    render(
      html`<h2>Add checks in bulk</h2>
        <p class="hint">One per line: a URL, <code>host:port</code> or a host name. <a href="#/checks/new">One check with every option</a></p>
        <form
          class="check-form bulk-form"
          @submit=${(event: Event) => (event.preventDefault(), void this.review())}
        >
          <label class="field" data-key="lines">
            <span class="key">Lines</span>
            <textarea
              name="lines"
              rows="8"
              .value=${this.lines}
              @input=${(event: Event) => {
                this.lines = (event.target as HTMLTextAreaElement).value;
                this.proposals = null;
              }}
            ></textarea>
          </label>
          <label class="field">
            <span class="key">As</span>
            <select name="kind" @change=${(event: Event) => ((this.kind = (event.target as HTMLSelectElement).value), (this.proposals = null), this.render())}>
              ${BULK_KINDS.map((kind) => html`<option value=${kind} ?selected=${kind === this.kind}>${kind}</option>`)}
            </select>
          </label>
          <label class="field">
            <span class="key"><code>interval</code></span>
            <input name="interval" type="text" .value=${this.interval} @input=${(event: Event) => (this.interval = (event.target as HTMLInputElement).value)} />
          </label>
          <div class="form-buttons">
            <button type="submit" id="review" ?disabled=${this.busy}>Review</button>
            ${proposals
              ? html`<button type="button" id="add-all" class="primary" ?disabled=${this.busy || good.length === 0} @click=${() => void this.add()}>
                  Add ${good.length} check${good.length === 1 ? "" : "s"}
                </button>`
              : nothing}
          </div>
        </form>
        ${this.problem
          ? html`<div class="view-error" role="alert"><strong>Not added: </strong>${prose(this.problem.message)}
              <div class="hint">${prose(this.problem.resolution)}</div></div>`
          : nothing}
        ${proposals
          ? html`<table class="proposals">
              <thead><tr><th>Line</th><th>Id</th><th>Kind</th><th>Check</th></tr></thead>
              <tbody>
                ${proposals.map(
                  (p) => html`<tr class=${p.check ? "ok" : "refused"} data-line=${p.line}>
                    <td>${p.line}</td>
                    <td>${p.check ? html`<code>${String(p.check.id)}</code>` : nothing}</td>
                    <td>${p.check ? String(p.check.kind) : nothing}</td>
                    <td>${p.check ? html`<code>${p.text}</code>` : html`<span class="field-error"><code>${p.text}</code>: ${prose(p.error ?? "")}</span>`}</td>
                  </tr>`,
                )}
              </tbody>
            </table>`
          : nothing}
        <h3>Or import another monitor's config</h3>
        <p class="hint">An Uptime Kuma backup (JSON), a Gatus <code>config.yaml</code> or a Monit control file: you review the checks it expresses before they are added.</p>
        <input
          type="file"
          id="import-file"
          aria-label="Config file of another monitor"
          @change=${(event: Event) => {
            const file = (event.target as HTMLInputElement).files?.[0];
            if (file) void this.importFile(file);
          }}
        />
        ${this.imported ? this.importedPanel(this.imported) : nothing}`,
      this.element,
    );
  }
}
