// The overview: every check by group, with counts, filter, search and keyboard
// navigation. Rows are built once and patched in place, so a thousand checks with
// live updates stay cheap.

import { GROUP_LEVEL_WORDS } from "../api/types";
import type { Check } from "../client";
import { badge, h } from "../dom";
import {
  counts,
  troubledGroups,
  displayOrder,
  formatDuration,
  formatLatency,
  formatTime,
  groupOrder,
  matches,
  phraseAt,
  SEVERITY,
  UNGROUPED,
  worst,
  type Filter,
  type LiveState,
  type StatusFilter,
} from "../model";

const COLUMNS = ["Status", "Check", "Since", "Latency", "Breaker", "Message"];

export class Overview {
  readonly element: HTMLElement;
  private readonly rows = new Map<string, HTMLTableRowElement>();
  private readonly groups = new Map<string, { body: HTMLTableSectionElement; header: HTMLTableCellElement }>();
  private readonly table: HTMLTableElement;
  private readonly countsBar: HTMLElement;
  private readonly search: HTMLInputElement;
  private readonly statusSelect: HTMLSelectElement;
  private readonly empty: HTMLElement;
  /** A banner per group that is not operational. */
  private readonly banners = h("div", { class: "group-banners", "aria-label": "Degraded groups" });
  private filter: Filter = { text: "", status: "all" };
  private selected: string | null = null;

  constructor(
    private readonly state: LiveState,
    private readonly open: (id: string) => void,
  ) {
    this.search = h("input", {
      type: "search",
      placeholder: "Search checks ( / )",
      "aria-label": "Search checks",
      id: "search",
    });
    this.search.addEventListener("input", () => this.setFilter({ ...this.filter, text: this.search.value }));
    this.statusSelect = h(
      "select",
      { "aria-label": "Show", id: "status-filter" },
      ...(["all", "failing", ...SEVERITY] as StatusFilter[]).map((s) => h("option", { value: s }, s)),
    );
    this.statusSelect.addEventListener("change", () =>
      this.setFilter({ ...this.filter, status: this.statusSelect.value as StatusFilter }),
    );
    this.countsBar = h("div", { class: "counts", "aria-label": "Counts by state" });
    this.table = h("table", { class: "checks" }, h("thead", {}, h("tr", {}, ...COLUMNS.map((c) => h("th", {}, c)))));
    this.empty = h("p", { class: "empty", hidden: true }, "No check matches.");
    this.element = h(
      "section",
      { class: "overview", "aria-label": "Overview" },
      this.banners,
      h("div", { class: "toolbar" }, this.countsBar, h("div", { class: "filters" }, this.search, this.statusSelect)),
      this.table,
      this.empty,
    );
  }

  /** Rebuilds every row (after a resync). */
  render(): void {
    this.rows.clear();
    this.groups.clear();
    for (const body of [...this.table.querySelectorAll("tbody")]) body.remove();
    const checks = displayOrder(this.state.checks.values());
    for (const group of groupOrder(checks)) {
      const header = h("th", { colspan: COLUMNS.length });
      const body = h("tbody", { "data-group": group }, h("tr", { class: "group" }, header));
      this.groups.set(group, { body, header });
      this.table.append(body);
    }
    for (const check of checks) {
      const row = h("tr", { class: "check", "data-id": check.id, tabindex: -1 });
      row.addEventListener("click", (event) => {
        if ((event.target as HTMLElement).closest("a")) return;
        this.select(check.id);
        this.open(check.id);
      });
      this.fill(row, check);
      this.rows.set(check.id, row);
      this.groups.get(check.group ?? UNGROUPED)?.body.append(row);
    }
    this.refreshAggregates();
    this.refreshGroups();
    this.applyFilter();
  }

  /** The banners of degraded groups and each group's level in its header row. */
  refreshGroups(): void {
    this.banners.replaceChildren(
      ...troubledGroups(this.state.groups).map((group) =>
        h(
          "div",
          { class: `banner group-banner ${group.level}`, role: "status", "data-group": group.id },
          h("strong", {}, group.headline),
        ),
      ),
    );
    this.refreshAggregates();
  }

  /** Patches the rows of checks that changed. */
  update(ids: string[]): void {
    let structural = false;
    for (const id of ids) {
      const check = this.state.checks.get(id);
      const row = this.rows.get(id);
      if (!check || !row || row.closest("tbody")?.dataset.group !== (check.group ?? UNGROUPED)) {
        structural = true;
        continue;
      }
      this.fill(row, check);
      row.hidden = !matches(check, this.filter);
    }
    if (structural) return this.render();
    this.refreshAggregates();
    this.refreshGroupsVisibility();
  }

  /** Refreshes relative times ("5 min", "open, trial in 12 s"); a cell is written only
   *  when its text changes. */
  tick(): void {
    const now = Date.now();
    for (const [id, row] of this.rows) {
      const check = this.state.checks.get(id);
      if (!check || row.hidden) continue;
      setText(row.children[2], since(check, now));
      if (check.breaker?.phrase.countdown) setText(row.children[4], phraseAt(check.breaker.phrase, now));
    }
  }

  focusSearch(): void {
    this.search.focus();
    this.search.select();
  }

  /** Escape: clears the search first. Returns whether it did anything. */
  clearSearch(): boolean {
    if (!this.filter.text && document.activeElement !== this.search) return false;
    this.search.value = "";
    this.search.blur();
    this.setFilter({ ...this.filter, text: "" });
    return true;
  }

  setFilter(filter: Filter): void {
    this.filter = filter;
    this.search.value = filter.text;
    this.statusSelect.value = filter.status;
    this.applyFilter();
  }

  /** Moves the selection among visible rows (j/k, arrows). */
  move(delta: number): void {
    const visible = this.visibleIds();
    if (visible.length === 0) return;
    const at = this.selected ? visible.indexOf(this.selected) : -1;
    const next = at < 0 ? (delta > 0 ? 0 : visible.length - 1) : Math.min(visible.length - 1, Math.max(0, at + delta));
    this.select(visible[next]);
  }

  openSelected(): boolean {
    if (!this.selected || !this.rows.get(this.selected) || this.rows.get(this.selected)!.hidden) return false;
    this.open(this.selected);
    return true;
  }

  private select(id: string): void {
    if (this.selected) this.rows.get(this.selected)?.classList.remove("selected");
    this.selected = id;
    const row = this.rows.get(id);
    row?.classList.add("selected");
    row?.setAttribute("aria-selected", "true");
    row?.scrollIntoView?.({ block: "nearest" });
  }

  private visibleIds(): string[] {
    return [...this.table.querySelectorAll<HTMLTableRowElement>("tr.check")]
      .filter((r) => !r.hidden)
      .map((r) => r.dataset.id!);
  }

  private applyFilter(): void {
    for (const [id, row] of this.rows) {
      const check = this.state.checks.get(id);
      row.hidden = !check || !matches(check, this.filter);
    }
    this.refreshGroupsVisibility();
  }

  private refreshGroupsVisibility(): void {
    let any = false;
    for (const { body } of this.groups.values()) {
      const shown = [...body.querySelectorAll<HTMLTableRowElement>("tr.check")].some((r) => !r.hidden);
      body.hidden = !shown;
      any ||= shown;
    }
    this.empty.hidden = any || this.rows.size === 0;
  }

  private refreshAggregates(): void {
    const all = [...this.state.checks.values()];
    const byState = counts(all);
    this.countsBar.replaceChildren(
      ...SEVERITY.filter((s) => byState[s] > 0).map((s) =>
        h(
          "button",
          {
            class: `count ${s}`,
            type: "button",
            title: `Show only ${s}`,
            onclick: () => this.setFilter({ ...this.filter, status: this.filter.status === s ? "all" : s }),
          },
          `${byState[s]} ${s}`,
        ),
      ),
    );
    const byGroup = new Map<string, Check[]>();
    for (const check of all) {
      const group = check.group ?? UNGROUPED;
      const members = byGroup.get(group);
      if (members) members.push(check);
      else byGroup.set(group, [check]);
    }
    for (const [group, { header }] of this.groups) {
      const members = byGroup.get(group) ?? [];
      const groupCounts = counts(members);
      const failing = members.length - groupCounts.up;
      // A group's level when the core has one for it (checks without a group have none).
      const level = this.state.groups.find((g) => g.id === group);
      header.replaceChildren(
        h("span", { class: "group-name" }, group),
        level ? badge(level.level, GROUP_LEVEL_WORDS[level.level]) : badge(worst(members.map((c) => c.status))),
        h("span", { class: "hint" }, failing ? `${failing} of ${members.length} not up` : `${members.length} up`),
      );
    }
  }

  private fill(row: HTMLTableRowElement, check: Check): void {
    const { message, hint } = check;
    row.className = `check ${check.status}${check.id === this.selected ? " selected" : ""}`;
    const breaker = check.breaker ? phraseAt(check.breaker.phrase, Date.now()) : "—";
    row.replaceChildren(
      h("td", {}, badge(check.status), check.flapping ? h("span", { class: "flapping", title: "changing state too often: notifications held until it settles" }, "flapping") : null),
      h(
        "td",
        { class: "name" },
        h("a", { href: `#/check/${encodeURIComponent(check.id)}` }, check.name),
        check.name !== check.id ? h("span", { class: "id" }, check.id) : null,
      ),
      h("td", { title: formatTime(check.since) }, since(check, Date.now())),
      h("td", { class: "num" }, formatLatency(check.last?.latency_ms)),
      h("td", { class: `breaker ${check.breaker?.state ?? ""}` }, breaker),
      h("td", { class: "message" }, message, hint ? h("div", { class: "hint" }, hint) : null),
    );
  }
}

function setText(cell: Element | undefined, text: string): void {
  if (cell && cell.textContent !== text) cell.textContent = text;
}

function since(check: Check, now: number): string {
  return `${formatDuration(now - Date.parse(check.since))}`;
}
