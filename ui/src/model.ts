// View logic without the DOM: ordering, grouping, filtering, counts, the live state the
// updates keep current, and the few things that must tick locally (relative times and
// the countdowns of the core's phrases). Every word, level and default a view shows
// comes from the core (the DTOs and the generated tables in api/types.ts); nothing
// here restates one. Everything here is unit-tested.

import { GROUP_LEVEL_ORDER, STATUS_ORDER } from "./api/types";
import type { Check, Group, Incident, Overview, Phrase, Status, Strips, Tick, Update } from "./client";

/** Worst first: the order of severity, as the core ranks statuses. */
export const SEVERITY: Status[] = STATUS_ORDER;

export function worst(statuses: Iterable<Status>): Status {
  let rank = SEVERITY.length - 1;
  for (const status of statuses) rank = Math.min(rank, SEVERITY.indexOf(status));
  return SEVERITY[rank];
}

export type Counts = Record<Status, number>;

export function counts(checks: Iterable<Check>): Counts {
  const result = Object.fromEntries(SEVERITY.map((s) => [s, 0])) as Counts;
  for (const check of checks) result[check.status] += 1;
  return result;
}

export type StatusFilter = "all" | "failing" | Status;

export interface Filter {
  text: string;
  status: StatusFilter;
}

/** Case-insensitive words, each found in the id, name, group, kind or message. */
export function matches(check: Check, filter: Filter): boolean {
  if (filter.status === "failing" && check.status === "up") return false;
  if (filter.status !== "all" && filter.status !== "failing" && check.status !== filter.status) return false;
  const words = filter.text.toLowerCase().split(/\s+/).filter(Boolean);
  if (words.length === 0) return true;
  const haystack = [check.id, check.name, check.group ?? "", check.kind, check.message].join(" ").toLowerCase();
  return words.every((word) => haystack.includes(word));
}

export const UNGROUPED = "Ungrouped";

/** Compares names as `localeCompare` does, without setting up a collator per call. */
export const byName = new Intl.Collator().compare;

/** Group names in display order: alphabetical, checks without a group last. */
export function groupOrder(checks: Iterable<Check>): string[] {
  const names = new Set<string>();
  let ungrouped = false;
  for (const check of checks) {
    if (check.group) names.add(check.group);
    else ungrouped = true;
  }
  const sorted = [...names].sort(byName);
  return ungrouped ? [...sorted, UNGROUPED] : sorted;
}

/** Checks in a stable display order: by group, then name, then id. Rows never jump
 *  when a status changes, so keyboard selection stays where it was. */
export function displayOrder(iterable: Iterable<Check>): Check[] {
  const checks = [...iterable];
  const rank = new Map(groupOrder(checks).map((group, at) => [group, at]));
  // groupOrder names every check's group, so each has a rank.
  const rankOf = (check: Check) => rank.get(check.group ?? UNGROUPED)!;
  return checks.sort((a, b) => rankOf(a) - rankOf(b) || byName(a.name, b.name) || byName(a.id, b.id));
}

/** A duration as the core says it ("45 s", "3 min", "1 h 12 min", "2 d 4 h"): for what
 *  ticks here (relative times, countdowns). A unit test holds it to the core's words
 *  (`DURATION_EXAMPLES`). */
export function formatDuration(ms: number): string {
  if (ms > 0 && ms < 1000) return `${Math.floor(ms)} ms`;
  const seconds = Math.max(0, Math.floor(ms / 1000));
  if (seconds < 60) return `${seconds} s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) return `${minutes} min`;
  const hours = Math.floor(minutes / 60);
  if (hours < 24) return minutes % 60 ? `${hours} h ${minutes % 60} min` : `${hours} h`;
  const days = Math.floor(hours / 24);
  return hours % 24 ? `${days} d ${hours % 24} h` : `${days} d`;
}

/** A phrase of the core as it reads at `now`: its countdown ticked, else as it came. */
export function phraseAt(phrase: Phrase, now: number): string {
  const countdown = phrase.countdown;
  if (!countdown) return phrase.text;
  const left = Date.parse(countdown.at) - now;
  return left > 0 ? countdown.ticking.replace("{}", formatDuration(left)) : countdown.due;
}

export function formatLatency(ms: number | null | undefined): string {
  if (ms === null || ms === undefined) return "—";
  if (ms < 10) return `${ms.toFixed(1)} ms`;
  if (ms < 1000) return `${Math.round(ms)} ms`;
  return `${(ms / 1000).toFixed(2)} s`;
}

export function formatTime(iso: string | null | undefined, now: Date = new Date()): string {
  if (!iso) return "—";
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return iso;
  const two = (n: number) => String(n).padStart(2, "0");
  const clock = `${two(date.getHours())}:${two(date.getMinutes())}:${two(date.getSeconds())}`;
  const day = `${date.getFullYear()}-${two(date.getMonth() + 1)}-${two(date.getDate())}`;
  const today = `${now.getFullYear()}-${two(now.getMonth() + 1)}-${two(now.getDate())}`;
  return day === today ? clock : `${day} ${clock}`;
}

/** The local zone's short name (`CET`, `UTC`, `GMT+1`): the dashboard's times are in it,
 *  as the core's words are (they name it). */
export function zoneName(at: Date = new Date()): string {
  const part = new Intl.DateTimeFormat(undefined, { timeZoneName: "short" })
    .formatToParts(at)
    .find((p) => p.type === "timeZoneName");
  return part?.value ?? "";
}

/** Groups that are not operational, worst first (config order within a level). */
export function troubledGroups(groups: Group[]): Group[] {
  const rank = (g: Group) => GROUP_LEVEL_ORDER.indexOf(g.level);
  return groups.filter((g) => g.level !== "operational").sort((a, b) => rank(b) - rank(a));
}

/** The live state of the core as the dashboard knows it. */
export class LiveState {
  readonly checks = new Map<string, Check>();
  overview: Overview | null = null;
  incidents: Incident[] = [];
  /** Each check's latest results, oldest first, as many as `stripLength`: loaded
   *  (`setStrips`), then grown from each check's `last` in the live stream. */
  readonly strips = new Map<string, Tick[]>();
  /** Each check's uptime over `uptimeWindow`, in the core's words. */
  readonly uptime = new Map<string, string>();
  stripLength = 0;
  uptimeWindow = "";

  /** The strips and uptimes as the core read them (`results` 0: the uptimes alone). */
  setStrips(strips: Strips, withResults: boolean): void {
    this.uptimeWindow = strips.window;
    this.uptime.clear();
    if (withResults) {
      this.stripLength = strips.length;
      this.strips.clear();
    }
    for (const strip of strips.checks) {
      this.uptime.set(strip.check, strip.uptime_text);
      if (withResults) this.strips.set(strip.check, strip.results);
    }
  }

  /** A check's new last result joins its strip (once: updates repeat it when only the
   *  state changed); the oldest leaves. */
  private growStrip(check: Check): void {
    const last = check.last;
    if (!last || this.stripLength === 0) return;
    const strip = this.strips.get(check.id) ?? [];
    const newest = strip.length > 0 ? strip[strip.length - 1].at : "";
    if (Date.parse(last.at) <= Date.parse(newest)) return;
    const grown = [...strip, { at: last.at, status: last.status, latency_ms: last.latency_ms }];
    this.strips.set(check.id, grown.slice(Math.max(0, grown.length - this.stripLength)));
  }

  get groups(): Group[] {
    return this.overview?.groups ?? [];
  }

  replaceChecks(checks: Check[]): void {
    this.checks.clear();
    for (const check of checks) this.checks.set(check.id, check);
  }

  /** Applies an update; returns what changed, for the views to redraw only that. */
  apply(update: Update): { checks: string[]; overview: boolean; incidents: boolean; resync: boolean } {
    const changed = { checks: [] as string[], overview: false, incidents: false, resync: false };
    switch (update.update) {
      case "hello":
        changed.resync = true;
        break;
      case "checks":
        for (const check of update.checks) {
          this.checks.set(check.id, check);
          this.growStrip(check);
          changed.checks.push(check.id);
        }
        break;
      case "overview":
        this.overview = update.overview;
        changed.overview = true;
        break;
      case "incident":
        this.incidents = [update.incident, ...this.incidents.filter((i) => i.id !== update.incident.id)];
        changed.incidents = true;
        break;
      case "incident_resolved": {
        const { id, resolved_at, duration_ms } = update.resolved;
        this.incidents = this.incidents.map((i) => (i.id === id ? { ...i, resolved_at, duration_ms } : i));
        changed.incidents = true;
        break;
      }
      case "action_output": // routed to the dialog that started the run
      case "action_run":
      case "restart_loop": // told by the desktop's notification; the check shows its healing
        break;
    }
    return changed;
  }
}
