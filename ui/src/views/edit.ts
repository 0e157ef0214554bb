// A check added or edited from the dashboard: a form per kind, built from the config's
// JSON Schema (each kind's keys, which it requires, their help), checked by the same
// compiler as the file (its errors shown at their field), tested once before it is
// saved, and saved into the config file, whose comments and order the core keeps.

import { html, nothing, render, type TemplateResult } from "lit-html";

import type { ConfigError, Transport } from "../client";
import { asApiError } from "../client";
import { badge, prose } from "../dom";

/** A key of a check as the schema describes it. */
interface Field {
  key: string;
  /** How it is typed in: a line, a number, yes/no, lines, `name: value` lines, JSON. */
  input: "text" | "number" | "boolean" | "lines" | "pairs" | "json";
  help: string;
  required: boolean;
}

type Schema = Record<string, unknown>;
type Property = { type?: string | string[]; description?: string; items?: { type?: string } };

/** The fields of a table schema: each key, how it is typed in, its help. */
export function fieldsOf(table: Schema | undefined, required: string[] = []): Field[] {
  const properties = (table?.properties ?? {}) as Record<string, Property & Record<string, unknown>>;
  return Object.entries(properties).map(([key, property]) => ({
    key,
    input: inputOf(property),
    help: property.description ?? "",
    required: required.includes(key),
  }));
}

function inputOf(property: Property & Record<string, unknown>): Field["input"] {
  const types = Array.isArray(property.type) ? property.type : property.type ? [property.type] : [];
  if (types.includes("boolean")) return "boolean";
  if (types.includes("integer") || types.includes("number")) return "number";
  if (types.includes("array")) return property.items?.type === "string" ? "lines" : "json";
  if (types.includes("object")) return property.additionalProperties ? "pairs" : "json";
  if (types.includes("string")) return "text";
  return "json";
}

/** A field's text as the JSON value the core takes; `undefined` when left empty. A value
 *  that does not read as its type is sent as typed, for the compiler to say why. */
export function valueOf(field: Field, text: string): unknown {
  const trimmed = text.trim();
  if (trimmed === "") return undefined;
  switch (field.input) {
    case "number": {
      const n = Number(trimmed);
      return Number.isFinite(n) ? n : trimmed;
    }
    case "boolean":
      return trimmed === "true";
    case "lines":
      return trimmed.split("\n").map((line) => line.trim()).filter(Boolean);
    case "pairs":
      return Object.fromEntries(
        trimmed
          .split("\n")
          .filter((line) => line.includes(":"))
          .map((line) => [line.slice(0, line.indexOf(":")).trim(), line.slice(line.indexOf(":") + 1).trim()]),
      );
    case "json":
      try {
        return JSON.parse(trimmed);
      } catch {
        return trimmed;
      }
    case "text":
      return trimmed;
  }
}

/** A JSON value as a field's text (what an edit form starts from). */
export function textOf(field: Field, value: unknown): string {
  if (value === undefined || value === null) return "";
  switch (field.input) {
    case "lines":
      return Array.isArray(value) ? value.join("\n") : String(value);
    case "pairs":
      return typeof value === "object"
        ? Object.entries(value as Record<string, unknown>)
            .map(([k, v]) => `${k}: ${String(v)}`)
            .join("\n")
        : String(value);
    case "json":
      return typeof value === "string" ? value : JSON.stringify(value);
    default:
      return String(value);
  }
}

/** The keys a form shows before "More options": every kind's id and name. */
const FIRST = ["id", "name"];

export class EditPage {
  readonly element = document.createElement("section");
  private schema: Schema | null = null;
  private kind = "http";
  private values = new Map<string, string>();
  /** The file's version the form was filled from (an edit sends it back). */
  private version: string | undefined;
  private errors: ConfigError[] = [];
  private problem: { message: string; resolution: string; conflict: boolean } | null = null;
  private trial: TemplateResult | null = null;
  private busy = false;

  /** `id`: the check edited; none for a new one. */
  constructor(
    private readonly transport: Transport,
    private readonly id: string | null,
    kind: string | null,
  ) {
    this.element.className = "edit-page";
    this.element.setAttribute("aria-label", id ? `Edit check ${id}` : "Add check");
    if (kind) this.kind = kind;
  }

  async load(): Promise<void> {
    this.render();
    try {
      this.schema = (await this.transport.call("config_schema", {})) as Schema;
      if (this.id) {
        const { keys, version } = await this.transport.call("check_keys", { id: this.id });
        this.version = version;
        this.kind = String(keys.kind ?? this.kind);
        for (const field of this.fields()) this.values.set(field.key, textOf(field, keys[field.key]));
      }
    } catch (error) {
      const e = asApiError(error);
      this.problem = { message: e.message, resolution: e.resolution, conflict: false };
    }
    this.render();
  }

  private kinds(): string[] {
    const defs = (this.schema?.$defs ?? {}) as Record<string, Schema>;
    return Object.keys((defs.kinds ?? {}) as Record<string, Schema>).sort();
  }

  /** Every key of the chosen kind: its own (required first), then every check's. */
  private fields(): Field[] {
    const defs = (this.schema?.$defs ?? {}) as Record<string, Schema>;
    const kind = ((defs.kinds ?? {}) as Record<string, Schema>)[this.kind];
    // What the kind requires may be a key every check has (a dns check's `name`).
    const required = (kind?.required as string[] | undefined) ?? [];
    const own = fieldsOf(kind, required);
    const mine = new Set(own.map((f) => f.key));
    const common = fieldsOf(defs.check, ["id", ...required]).filter((f) => f.key !== "kind" && !mine.has(f.key));
    const first = FIRST.map((key) => common.find((f) => f.key === key)).filter((f): f is Field => !!f);
    const rest = common.filter((f) => !FIRST.includes(f.key));
    return [...first, ...own.filter((f) => f.required), ...own.filter((f) => !f.required), ...rest];
  }

  /** The form as the check's keys. */
  private keys(): Record<string, unknown> {
    const keys: Record<string, unknown> = { kind: this.kind };
    for (const field of this.fields()) {
      const value = valueOf(field, this.values.get(field.key) ?? "");
      if (value !== undefined) keys[field.key] = value;
    }
    if (this.id) delete keys.id; // the path names it: no renames
    return keys;
  }

  private async save(): Promise<void> {
    this.busy = true;
    this.errors = [];
    this.problem = null;
    this.render();
    try {
      const keys: Record<string, unknown> = { ...this.keys(), ...(this.version ? { if_match: this.version } : {}) };
      if (this.id) await this.transport.call("replace_check", { ...keys, id: this.id });
      else await this.transport.call("add_check", keys);
      const id = this.id ?? String(keys.id ?? "");
      location.hash = `#/check/${encodeURIComponent(id)}`;
    } catch (error) {
      this.refused(error);
    }
    this.busy = false;
    this.render();
  }

  private async remove(): Promise<void> {
    if (!this.id || !confirm(`Remove check ${this.id} from the config file?`)) return;
    this.busy = true;
    this.render();
    try {
      await this.transport.call("remove_check", { id: this.id, if_match: this.version });
      location.hash = "#/";
    } catch (error) {
      this.refused(error);
    }
    this.busy = false;
    this.render();
  }

  private async test(): Promise<void> {
    this.busy = true;
    this.errors = [];
    this.problem = null;
    this.trial = html`<p class="trial">Testing…</p>`;
    this.render();
    try {
      const keys = this.id ? { ...this.keys(), id: this.id } : this.keys();
      const trial = await this.transport.call("test_check", keys);
      const latency = trial.latency_ms === null ? "" : ` in ${trial.latency_ms.toFixed(1)} ms`;
      this.trial = html`<p class="trial" role="status">${badge(trial.status)} ${prose(trial.message)}${latency}</p>`;
    } catch (error) {
      this.trial = null;
      this.refused(error);
    }
    this.busy = false;
    this.render();
  }

  /** An answer that refused the change: each error at its field, the rest above. */
  private refused(error: unknown): void {
    const errors = (error as { errors?: ConfigError[] }).errors;
    const e = asApiError(error);
    this.errors = errors ?? [];
    this.problem = { message: e.message, resolution: e.resolution, conflict: e.code === "config_changed" };
  }

  render(): void {
    const fields = this.fields();
    const shown = fields.filter((f) => f.required || FIRST.includes(f.key));
    const more = fields.filter((f) => !shown.includes(f));
    const placed = new Set(fields.map((f) => f.key));
    const elsewhere = this.errors.filter((e) => !e.key || !placed.has(e.key));
    render(
      html`<h2>${this.id ? html`Edit check <code>${this.id}</code>` : "Add check"}</h2>
        ${this.id ? nothing : html`<p class="hint">Many at once? <a href="#/checks/bulk" id="bulk">Paste URLs or <code>host:port</code> lines</a></p>`}
        ${this.problem && (this.errors.length === 0 || elsewhere.length > 0)
          ? html`<div class="view-error" role="alert">
              ${this.errors.length === 0
                ? html`<strong>Not saved: </strong>${prose(this.problem.message)}
                    <div class="hint">${prose(this.problem.resolution)}</div>`
                : html`<strong>Not saved:</strong>`}
              ${elsewhere.map((e) => html`<div class="hint">${e.file}:${e.line}:${e.column}: ${prose(e.message)} — ${prose(e.resolution)}</div>`)}
              ${this.problem.conflict
                ? html`<button type="button" id="reread" @click=${() => location.reload()}>Read the file again</button>`
                : nothing}
            </div>`
          : nothing}
        <form class="check-form" @submit=${(event: Event) => (event.preventDefault(), void this.save())}>
          <label class="field">
            <span class="key"><code>kind</code></span>
            <select
              name="kind"
              ?disabled=${this.id !== null}
              @change=${(event: Event) => {
                this.kind = (event.target as HTMLSelectElement).value;
                this.render();
              }}
            >
              ${this.kinds().map((kind) => html`<option value=${kind} ?selected=${kind === this.kind}>${kind}</option>`)}
            </select>
          </label>
          ${shown.map((field) => this.field(field))}
          <details class="more">
            <summary>More options</summary>
            ${more.map((field) => this.field(field))}
          </details>
          <div class="form-buttons">
            <button type="submit" id="save" ?disabled=${this.busy}>Save</button>
            <button type="button" id="test" ?disabled=${this.busy} @click=${() => void this.test()}>Test now</button>
            ${this.id ? html`<button type="button" id="remove" class="danger" ?disabled=${this.busy} @click=${() => void this.remove()}>Remove</button>` : nothing}
          </div>
          ${this.trial ?? nothing}
        </form>`,
      this.element,
    );
  }

  private field(field: Field): TemplateResult {
    const value = this.values.get(field.key) ?? "";
    const set = (event: Event) => this.values.set(field.key, (event.target as HTMLInputElement).value);
    const errors = this.errors.filter((e) => e.key === field.key);
    const disabled = field.key === "id" && this.id !== null;
    const input =
      field.input === "boolean"
        ? html`<select name=${field.key} @change=${set}>
            <option value="" ?selected=${value === ""}>(default)</option>
            <option value="true" ?selected=${value === "true"}>true</option>
            <option value="false" ?selected=${value === "false"}>false</option>
          </select>`
        : field.input === "lines" || field.input === "pairs" || field.input === "json"
          ? html`<textarea name=${field.key} rows="2" .value=${value} @input=${set}></textarea>`
          : html`<input
              name=${field.key}
              type=${field.input === "number" ? "number" : "text"}
              .value=${disabled ? (this.id ?? "") : value}
              ?disabled=${disabled}
              ?required=${field.required}
              @input=${set}
            />`;
    return html`<label class="field ${errors.length ? "invalid" : ""}" data-key=${field.key}>
      <span class="key"><code>${field.key}</code>${field.required ? html`<span class="required" title="required">*</span>` : nothing}</span>
      ${input}
      <span class="help">${prose(field.help)}</span>
      ${errors.map((e) => html`<span class="field-error" role="alert">${prose(e.message)} — ${prose(e.resolution)}</span>`)}
    </label>`;
  }
}
