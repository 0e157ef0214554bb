// The overview: every check by group, with counts, filter, search and keyboard
// navigation. It is one template rendered from the live state (lit-html): rows are
// keyed by check, so a render patches only what changed, in place, and keeps focus;
// a row's cells whose check and texts are as before are not rendered again
// (`guard`), so a thousand checks with live updates and a ticking clock stay cheap.
// The first render draws the first `FIRST_ROWS` rows, those a screen holds, and the
// rest follow `MORE_ROWS` a frame, so the page shows at once (`cargo xtask bench
// dashboard`).

import { html, nothing, render } from "lit-html";
import { guard } from "lit-html/directives/guard.js";
import { ref } from "lit-html/directives/ref.js";
import { repeat } from "lit-html/directives/repeat.js";

import { GROUP_LEVEL_WORDS } from "../api/types";
import type { Check, Tick } from "../client";
import { attended, badge, marks, prose } from "../dom";
import {
  counts,
  displayOrder,
  formatDuration,
  formatLatency,
  formatTime,
  groupOrder,
  matches,
  phraseAt,
  SEVERITY,
  troubledGroups,
  UNGROUPED,
  worst,
  type Filter,
  type LiveState,
  type StatusFilter,
} from "../model";

/** Rows drawn by the first render, then more each frame until all are. */
const FIRST_ROWS = 60;
const MORE_ROWS = 250;

const COLUMNS = ["Status", "Check", "Since", "Latency", "Last results", "Uptime", "Breaker", "Message"];

export class Overview {
  readonly element = document.createElement("section");
  private filter: Filter = { text: "", status: "all" };
  private selected: string | null = null;
  /** Local times as shown, by timestamp: `toLocaleString` is slow, a row's `since` rare to change. */
  private readonly times = new Map<string, string>();
  /** How many rows are drawn (in display order), and whether more are on their way. */
  private rows = FIRST_ROWS;
  private more = false;

  constructor(
    private readonly state: LiveState,
    private readonly open: (id: string) => void,
  ) {
    this.element.className = "overview";
    this.element.setAttribute("aria-label", "Overview");
  }

  /** Draws the view from the state: every check, its group, the counts and banners. */
  render(): void {
    render(this.template(Date.now()), this.element);
    if (this.rows < this.state.checks.size && !this.more) {
      this.more = true;
      // After this frame is painted: a timer set from the frame's callback runs after it.
      requestAnimationFrame(() =>
        setTimeout(() => {
          this.more = false;
          this.rows += MORE_ROWS;
          this.render();
        }),
      );
    }
  }

  /** Whether every row is drawn. */
  get complete(): boolean {
    return this.rows >= this.state.checks.size;
  }

  /** A check or the overview changed: drawn again from the state. */
  update(_ids: string[]): void {
    this.render();
  }

  /** The groups' levels changed. */
  refreshGroups(): void {
    this.render();
  }

  /** Each second: relative times and the breakers' countdowns. */
  tick(): void {
    this.render();
  }

  focusSearch(): void {
    const search = this.search();
    search?.focus();
    search?.select();
  }

  /** Escape: clears the search first. Returns whether it did anything. */
  clearSearch(): boolean {
    const search = this.search();
    if (!this.filter.text && document.activeElement !== search) return false;
    search?.blur();
    this.setFilter({ ...this.filter, text: "" });
    return true;
  }

  setFilter(filter: Filter): void {
    this.filter = filter;
    this.render();
  }

  /** Moves the selection among visible rows (j/k, arrows). */
  move(delta: number): void {
    const visible = this.visible().map((c) => c.id);
    if (visible.length === 0) return;
    const at = this.selected ? visible.indexOf(this.selected) : -1;
    const next = at < 0 ? (delta > 0 ? 0 : visible.length - 1) : Math.min(visible.length - 1, Math.max(0, at + delta));
    this.select(visible[next]);
  }

  openSelected(): boolean {
    if (!this.selected || !this.visible().some((c) => c.id === this.selected)) return false;
    this.open(this.selected);
    return true;
  }

  private search(): HTMLInputElement | null {
    return this.element.querySelector<HTMLInputElement>("#search");
  }

  private visible(): Check[] {
    return displayOrder(this.state.checks.values()).filter((c) => matches(c, this.filter));
  }

  private select(id: string): void {
    this.selected = id;
    this.render();
    this.element.querySelector<HTMLElement>(`tr.check[data-id="${CSS.escape(id)}"]`)?.scrollIntoView?.({ block: "nearest" });
  }

  private template(now: number) {
    const all = displayOrder(this.state.checks.values());
    const byState = counts(all);
    const shown = new Set(all.filter((c) => matches(c, this.filter)).map((c) => c.id));
    const members = new Map<string, Check[]>(groupOrder(all).map((group) => [group, []]));
    for (const check of all) members.get(check.group ?? UNGROUPED)?.push(check);
    const statuses: StatusFilter[] = ["all", "failing", ...SEVERITY];
    // The rows of each group drawn so far: the first `this.rows` in display order.
    let budget = this.rows;
    const drawn = new Map<string, Check[]>();
    // The first screenful's strips are drawn with their rows, not a frame later.
    const eager = new Set<string>();
    for (const [group, checks] of members) {
      drawn.set(group, checks.slice(0, Math.max(0, budget)));
      for (const check of checks.slice(0, Math.max(0, FIRST_ROWS - (this.rows - budget)))) eager.add(check.id);
      budget -= checks.length;
    }
    return html`
      <div class="group-banners" aria-label="Degraded groups">
        ${repeat(
          troubledGroups(this.state.groups),
          (g) => g.id,
          (group) => html`<div class="banner group-banner ${group.level}" role="status" data-group=${group.id}>
            <strong>${group.headline}</strong>
          </div>`,
        )}
      </div>
      <div class="toolbar">
        <div class="counts" aria-label="Counts by state">
          ${SEVERITY.filter((s) => byState[s] > 0).map(
            (s) => html`<button
              class="count ${s}"
              type="button"
              title="Show only ${s}"
              @click=${() => this.setFilter({ ...this.filter, status: this.filter.status === s ? "all" : s })}
            >${byState[s]} ${s}</button>`,
          )}
        </div>
        <div class="filters">
          <input
            type="search"
            placeholder="Search checks ( / )"
            aria-label="Search checks"
            id="search"
            .value=${this.filter.text}
            @input=${(e: Event) => this.setFilter({ ...this.filter, text: (e.target as HTMLInputElement).value })}
          />
          <select
            aria-label="Show"
            id="status-filter"
            .value=${this.filter.status}
            @change=${(e: Event) =>
              this.setFilter({ ...this.filter, status: (e.target as HTMLSelectElement).value as StatusFilter })}
          >
            ${statuses.map((s) => html`<option value=${s} ?selected=${s === this.filter.status}>${s}</option>`)}
          </select>
        </div>
      </div>
      <table class="checks">
        <thead>
          <tr>${COLUMNS.map((c) => html`<th>${c}</th>`)}</tr>
        </thead>
        ${repeat(
          members,
          ([group]) => group,
          ([group, checks]) => this.group(group, checks, drawn.get(group) ?? [], shown, eager, now),
        )}
      </table>
      <p class="empty" ?hidden=${shown.size > 0 || all.length === 0}>No check matches.</p>
    `;
  }

  private group(group: string, members: Check[], drawn: Check[], shown: Set<string>, eager: Set<string>, now: number) {
    const visible = members.some((c) => shown.has(c.id));
    const groupCounts = counts(members);
    const failing = members.length - groupCounts.up;
    // A group's level when the core has one for it (checks without a group have none).
    const level = this.state.groups.find((g) => g.id === group);
    return html`<tbody data-group=${group} ?hidden=${!visible}>
      <tr class="group">
        <th colspan=${COLUMNS.length}>
          <span class="group-name">${group}</span>
          ${level ? badge(level.level, GROUP_LEVEL_WORDS[level.level]) : badge(worst(members.map((c) => c.status)))}
          <span class="hint">${failing ? `${failing} of ${members.length} not up` : `${members.length} up`}</span>
        </th>
      </tr>
      ${repeat(
        drawn,
        (c) => c.id,
        (check) => this.row(check, shown.has(check.id), eager.has(check.id), now),
      )}
    </tbody>`;
  }

  private row(check: Check, shown: boolean, eager: boolean, now: number) {
    const selected = check.id === this.selected;
    const since = formatDuration(now - Date.parse(check.since));
    const breaker = check.breaker ? phraseAt(check.breaker.phrase, now) : "—";
    return html`<tr
      class="check ${check.status}${selected ? " selected" : ""}"
      data-id=${check.id}
      tabindex="-1"
      aria-selected=${selected ? "true" : nothing}
      ?hidden=${!shown}
      @click=${(event: Event) => {
        if ((event.target as HTMLElement).closest("a")) return;
        this.select(check.id);
        this.open(check.id);
      }}
    >
      ${guard([check, since, breaker, this.state.strips.get(check.id), this.state.uptime.get(check.id), eager], () =>
        this.cells(check, since, breaker, eager),
      )}
    </tr>`;
  }

  private cells(check: Check, since: string, breaker: string, eager: boolean) {
    return html`<td class=${attended(check.marks) ? "attended" : ""}>
        ${badge(check.status)}
        ${check.flapping
          ? html`<span class="flapping" title="changing state too often: notifications held until it settles">flapping</span>`
          : nothing}
      </td>
      <td class="name">
        <a href="#/check/${encodeURIComponent(check.id)}">${check.name}</a>
        ${check.name !== check.id ? html`<span class="id">${check.id}</span>` : nothing}
      </td>
      <td class="since" title=${this.localTime(check.since)}>${since}</td>
      <td class="num">${formatLatency(check.last?.latency_ms)}</td>
      <td class="strip-cell">${strip(this.state.strips.get(check.id) ?? [], this.state.stripLength, eager)}</td>
      <td class="num uptime-cell" title=${this.state.uptimeWindow ? `uptime over ${this.state.uptimeWindow}` : ""}>
        ${this.state.uptime.get(check.id) ?? "—"}
      </td>
      <td class="breaker ${check.breaker?.state ?? ""}">${breaker}</td>
      <td class="message">
        ${marks(check.marks)}${prose(check.message)}${check.hint ? html`<div class="hint">${prose(check.hint)}</div>` : nothing}
      </td>`;
  }

  private localTime(iso: string): string {
    let shown = this.times.get(iso);
    if (shown === undefined) {
      if (this.times.size >= 4096) this.times.clear();
      shown = formatTime(iso);
      this.times.set(iso, shown);
    }
    return shown;
  }
}

/** Tick colours by status, read from the page's style once a theme. */
let palette: { theme: boolean; colors: Record<string, string> } | null = null;

function tickColors(): Record<string, string> {
  const dark = window.matchMedia?.("(prefers-color-scheme: dark)").matches ?? false;
  if (!palette || palette.theme !== dark) {
    const style = getComputedStyle(document.documentElement);
    const read = (name: string, fallback: string) => style.getPropertyValue(name).trim() || fallback;
    palette = {
      theme: dark,
      colors: {
        up: read("--up", "#1d7a45"),
        degraded: read("--degraded", "#a86a12"),
        down: read("--down", "#c0312f"),
        unknown: read("--unknown", "#5f6673"),
        none: read("--line", "#dcdfe4"),
      },
    };
  }
  return palette.colors;
}

/** Tick width and gap, in CSS pixels. */
const TICK = { width: 4, gap: 2, height: 16 };

/** What a strip's tick at `x` (CSS pixels from its left) tells: its time, status and
 *  latency; empty over room kept for results to come. */
export function tickAt(ticks: Tick[], length: number, x: number): string {
  const slot = Math.floor(x / (TICK.width + TICK.gap));
  const tick = ticks[slot - (length - ticks.length)];
  return tick ? `${formatTime(tick.at)} · ${tick.status} · ${formatLatency(tick.latency_ms)}` : "";
}

/** Draws a strip into its window: oldest at the left, room kept at the left for the
 *  results to come; its canvas is made the first time. */
function drawStrip(window_: HTMLElement, ticks: Tick[], length: number): void {
  let canvas = window_.firstElementChild as HTMLCanvasElement | null;
  const width = stripWidth(length);
  if (!canvas) {
    const ratio = window.devicePixelRatio || 1;
    canvas = document.createElement("canvas");
    canvas.className = "strip";
    canvas.width = Math.round(width * ratio);
    canvas.height = Math.round(TICK.height * ratio);
    canvas.style.width = `${width}px`;
    canvas.style.height = `${TICK.height}px`;
    canvas.setAttribute("aria-hidden", "true");
    window_.append(canvas);
  }
  const context = canvas.getContext("2d");
  if (!context) return;
  const colors = tickColors();
  const ratio = canvas.width / Math.max(1, width);
  context.setTransform(ratio, 0, 0, ratio, 0, 0);
  context.clearRect(0, 0, width, TICK.height);
  const pad = length - ticks.length;
  for (let slot = 0; slot < length; slot++) {
    const tick = ticks[slot - pad];
    context.fillStyle = colors[tick ? tick.status : "none"] ?? colors.unknown;
    context.fillRect(slot * (TICK.width + TICK.gap), 0, TICK.width, TICK.height);
  }
  canvas.dataset.ticks = String(ticks.length);
  canvas.dataset.newest = ticks.length > 0 ? ticks[ticks.length - 1].status : "";
}

function stripWidth(length: number): number {
  return length * (TICK.width + TICK.gap) - TICK.gap;
}

/** Strips are drawn once on screen (or near it): a thousand canvases made and drawn at
 *  load cost more than the whole overview; one scrolled to is drawn in the frame it
 *  shows. What a strip off screen should show waits here, the latest only. */
const waiting = new WeakMap<Element, () => void>();
const onScreen = new WeakSet<Element>();
let watcher: IntersectionObserver | null = null;

function drawWhenShown(canvas: HTMLElement, draw: () => void): void {
  if (typeof IntersectionObserver === "undefined") return draw();
  if (onScreen.has(canvas)) {
    waiting.delete(canvas);
    return draw();
  }
  const first = !waiting.has(canvas);
  waiting.set(canvas, draw);
  if (!first) return;
  watcher ??= new IntersectionObserver(
    (entries) => {
      for (const entry of entries) {
        if (!entry.isIntersecting) {
          onScreen.delete(entry.target);
          continue;
        }
        onScreen.add(entry.target);
        waiting.get(entry.target)?.();
        waiting.delete(entry.target);
      }
    },
    { rootMargin: "300px 0px" },
  );
  watcher.observe(canvas);
}

/** A check's latest results as ticks coloured by status, oldest at the left, drawn on
 *  one canvas a row (a thousand rows of thirty elements each would be slow to lay out)
 *  once the row is on screen (`eager`: with the row, for the first screenful);
 *  hovering a tick tells its time, status and latency. */
export function strip(ticks: Tick[], length: number, eager = false) {
  if (length === 0) return nothing;
  const counts = new Map<string, number>();
  for (const t of ticks) counts.set(t.status, 1 + (counts.get(t.status) || 0));
  const label = `last ${ticks.length} results: ${[...counts].map(([status, n]) => `${n} ${status}`).join(", ")}`;
  return html`<span
    class="strip-window"
    role="img"
    aria-label=${label}
    ${ref((element) => {
      const window_ = element as HTMLElement | undefined;
      if (!window_) return;
      if (eager) drawStrip(window_, ticks, length);
      else drawWhenShown(window_, () => drawStrip(window_, ticks, length));
    })}
    @mousemove=${(event: MouseEvent) => {
      const window_ = event.currentTarget as HTMLElement;
      const canvas = window_.firstElementChild as HTMLCanvasElement | null;
      if (canvas) canvas.title = tickAt(ticks, length, event.clientX - canvas.getBoundingClientRect().left);
    }}
  ></span>`;
}
