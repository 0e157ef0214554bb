// View logic without the DOM: ordering, grouping, filtering, counts, summaries and
// the live state the updates keep current. Everything here is unit-tested.

import type {
  Breaker,
  BreakerRule,
  BreakerState,
  Budget,
  Check,
  Group,
  GroupLevel,
  Healing,
  Incident,
  Status,
  Update,
} from "./client";

/** Worst first: the order of severity. */
export const SEVERITY: Status[] = ["down", "unknown", "degraded", "maintenance", "paused", "up"];

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

/** "3 down: orders-api, db, vpn", the tray's summary too. */
export function summary(checks: Check[]): string {
  if (checks.length === 0) return "no checks configured";
  const status = worst(checks.map((c) => c.status));
  if (status === "up") return `all ${checks.length} up`;
  const failing = checks.filter((c) => c.status === status).map((c) => c.name);
  const names = failing.slice(0, 3).join(", ") + (failing.length > 3 ? `, +${failing.length - 3}` : "");
  return `${failing.length} ${status}: ${names}`;
}

/** The banner while the connectivity sentinel fails: its remote checks are unknown. */
export function noNetwork(checks: Check[]): string | null {
  const remote = checks.filter((c) => c.status === "unknown" && c.reason?.startsWith("no network"));
  if (remote.length === 0) return null;
  const what = remote.length === 1 ? "1 remote check is" : `${remote.length} remote checks are`;
  return `No network: ${what} unknown until it is back (the connectivity sentinel fails). Local checks are judged as always.`;
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
  const haystack = [check.id, check.name, check.group ?? "", check.kind, check.reason ?? "", check.last?.message ?? ""]
    .join(" ")
    .toLowerCase();
  return words.every((word) => haystack.includes(word));
}

export const UNGROUPED = "Ungrouped";

/** Group names in display order: alphabetical, checks without a group last. */
export function groupOrder(checks: Iterable<Check>): string[] {
  const names = new Set<string>();
  let ungrouped = false;
  for (const check of checks) {
    if (check.group) names.add(check.group);
    else ungrouped = true;
  }
  const sorted = [...names].sort((a, b) => a.localeCompare(b));
  return ungrouped ? [...sorted, UNGROUPED] : sorted;
}

/** Checks in a stable display order: by group, then name, then id. Rows never jump
 *  when a status changes, so keyboard selection stays where it was. */
export function displayOrder(iterable: Iterable<Check>): Check[] {
  const checks = [...iterable];
  const groups = groupOrder(checks);
  return checks.sort(
    (a, b) =>
      groups.indexOf(a.group ?? UNGROUPED) - groups.indexOf(b.group ?? UNGROUPED) ||
      a.name.localeCompare(b.name) ||
      a.id.localeCompare(b.id),
  );
}

/** "3 h 12 min", "45 s", "2 d 4 h". */
export function formatDuration(ms: number): string {
  if (ms > 0 && ms < 1000) return `${Math.round(ms)} ms`;
  const seconds = Math.max(0, Math.floor(ms / 1000));
  if (seconds < 60) return `${seconds} s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) return `${minutes} min`;
  const hours = Math.floor(minutes / 60);
  if (hours < 24) return minutes % 60 ? `${hours} h ${minutes % 60} min` : `${hours} h`;
  const days = Math.floor(hours / 24);
  return hours % 24 ? `${days} d ${hours % 24} h` : `${days} d`;
}

export function formatLatency(ms: number | null | undefined): string {
  if (ms === null || ms === undefined) return "—";
  if (ms < 10) return `${ms.toFixed(1)} ms`;
  if (ms < 1000) return `${Math.round(ms)} ms`;
  return `${(ms / 1000).toFixed(2)} s`;
}

export function formatTime(iso: string | null | undefined): string {
  if (!iso) return "—";
  const date = new Date(iso);
  return Number.isNaN(date.getTime()) ? iso : date.toLocaleString();
}

/** The message a check shows and the hint that goes with it. */
export function explain(check: Check): { message: string; hint: string | null } {
  const message = check.reason ?? check.last?.message ?? (check.last ? "" : "no result yet");
  const hint = check.status === "up" ? null : (check.last?.failure?.resolution ?? null);
  return { message, hint };
}

/** What self-healing is doing, in a sentence; null when there is nothing to say. */
export function healingText(healing: Healing | null, now: number): string | null {
  if (!healing) return null;
  const until = (iso: string | null) => (iso ? formatDuration(Math.max(0, Date.parse(iso) - now)) : "—");
  switch (healing.state) {
    case "idle":
      return null;
    case "running":
      return `Self-healing: running ${healing.action} (attempt ${healing.attempts})`;
    case "waiting":
      return `Self-healing: ${healing.action} ran ${times(healing.attempts)}; next run in ${until(healing.next_at)}`;
    case "gave_up":
      return `Self-healing gave up: ${healing.action} ran ${times(healing.attempts)} and the check is still down; next try in ${until(healing.retry_at)}, or reset its budget`;
  }
}

function times(n: number): string {
  return n === 1 ? "once" : `${n} times`;
}

/** An action's budget: "2 of 3 runs in 10m", and when it is blocked, until when. */
export function budgetText(budget: Budget, now: number): string {
  const text = `${budget.runs_in_window} of ${budget.max_runs} runs in ${budget.per}`;
  if (!budget.blocked_until) return text;
  const wait = formatDuration(Math.max(0, Date.parse(budget.blocked_until) - now));
  return `${text} · budget spent, next run allowed in ${wait}`;
}

/** The colour of a component's own word for its health: `UP`/`pass` up, `warn`
 *  degraded, `DOWN`/`fail`/`OUT_OF_SERVICE` down, anything else unknown (as the core
 *  reads them). */
export function componentLevel(status: string): Status {
  switch (status.toLowerCase()) {
    case "up":
    case "pass":
    case "ok":
    case "healthy":
      return "up";
    case "warn":
    case "warning":
    case "degraded":
      return "degraded";
    case "down":
    case "fail":
    case "error":
    case "out_of_service":
    case "unhealthy":
      return "down";
    default:
      return "unknown";
  }
}

/** The colour of a service's own breaker state (resilience4j's words). */
export function serviceBreakerLevel(state: string): Status {
  switch (state.toUpperCase()) {
    case "CLOSED":
      return "up";
    case "OPEN":
    case "FORCED_OPEN":
      return "down";
    case "HALF_OPEN":
      return "degraded";
    default:
      return "unknown";
  }
}

/** A breaker's state in words. */
export const BREAKER_STATES: Record<BreakerState, string> = {
  closed: "closed",
  open: "open",
  half_open: "half-open",
  disabled: "disabled",
  forced_open: "forced open",
};

/** A percentage as the breaker shows it: "60 %", "33.3 %". */
export function formatRate(rate: number): string {
  return `${Number.isInteger(rate) ? rate : rate.toFixed(1)} %`;
}

/** A breaker in one phrase, the overview's column: "open, trial in 12 s",
 *  "half-open, trial 2 of 3", "closed, 20 % failed". */
export function breakerText(breaker: Breaker, now: number): string {
  const label = BREAKER_STATES[breaker.state];
  switch (breaker.state) {
    case "open": {
      if (!breaker.next_trial_at) return label;
      const wait = Date.parse(breaker.next_trial_at) - now;
      return wait > 0 ? `open, trial in ${formatDuration(wait)}` : "open, trial due";
    }
    case "half_open": {
      const trials = breaker.rule.half_open_calls;
      return `half-open, trial ${Math.min(breaker.calls + 1, trials)} of ${trials}`;
    }
    case "closed":
    case "disabled":
      return breaker.failure_rate !== null && breaker.failed_calls > 0
        ? `${label}, ${formatRate(breaker.failure_rate)} failed`
        : label;
    case "forced_open":
      return label;
  }
}

/** What opens a breaker, in words: "50 % of the last 20 calls fail, or all are slow
 *  (over 1 s), once 10 calls are in", "5 failures in a row". */
export function breakerRuleText(rule: BreakerRule): string {
  if (rule.failure_threshold !== null) return `${rule.failure_threshold} failures in a row`;
  const window = rule.window_calls !== null ? `the last ${rule.window_calls} calls` : `the calls of the last ${formatDuration(rule.window_ms ?? 0)}`;
  const slow = rule.slow_rate === 100 ? "all are slow" : `${formatRate(rule.slow_rate ?? 100)} are slow`;
  return `${formatRate(rule.failure_rate ?? 50)} of ${window} fail, or ${slow} (over ${formatDuration(rule.slow_call_ms)}), once ${rule.min_calls} calls are in`;
}

/** A group's level in words. */
export const GROUP_LEVELS: Record<GroupLevel, string> = {
  operational: "operational",
  degraded: "degraded",
  partial_outage: "partial outage",
  major_outage: "major outage",
};

/** "shop: partial outage (Search down)", as the tray says it. */
export function groupHeadline(group: Group): string {
  const level = `${group.name}: ${GROUP_LEVELS[group.level]}`;
  return group.cause ? `${level} (${group.cause})` : level;
}

/** Groups that are not operational, worst first (config order within a level). */
export function troubledGroups(groups: Group[]): Group[] {
  const rank = (g: Group) => Object.keys(GROUP_LEVELS).indexOf(g.level);
  return groups.filter((g) => g.level !== "operational").sort((a, b) => rank(b) - rank(a));
}

/** The live state of the core as the dashboard knows it. */
export class LiveState {
  readonly checks = new Map<string, Check>();
  groups: Group[] = [];
  incidents: Incident[] = [];

  replaceChecks(checks: Check[]): void {
    this.checks.clear();
    for (const check of checks) this.checks.set(check.id, check);
  }

  /** Applies an update; returns what changed, for the views to redraw only that. */
  apply(update: Update): { checks: string[]; groups: boolean; incidents: boolean; resync: boolean } {
    const changed = { checks: [] as string[], groups: false, incidents: false, resync: false };
    switch (update.name) {
      case "hello":
        changed.resync = true;
        break;
      case "checks":
        for (const check of update.checks) {
          this.checks.set(check.id, check);
          changed.checks.push(check.id);
        }
        break;
      case "groups":
        this.groups = update.groups;
        changed.groups = true;
        break;
      case "incident":
        this.incidents = [update.incident, ...this.incidents.filter((i) => i.id !== update.incident.id)];
        changed.incidents = true;
        break;
      case "incident_resolved": {
        this.incidents = this.incidents.map((i) =>
          i.id === update.id
            ? {
                ...i,
                resolved_at: update.resolved_at,
                duration_ms: Date.parse(update.resolved_at) - Date.parse(i.started_at),
              }
            : i,
        );
        changed.incidents = true;
        break;
      }
      case "action_output": // routed to the dialog that started the run
      case "action_run":
        break;
    }
    return changed;
  }
}
