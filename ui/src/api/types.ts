// Generated from the Rust wire types (src/api/dto.rs) and the route table
// (src/api/operation.rs) by `UPDATE_EXPECT=1 cargo test --test it tidy`. Do not edit.

export type AckArgs = { id: string, note?: string, };

export type Action = { id: string, name: string, kind: string,
/**
 * What it does, in one line: `runs systemctl --user restart api`.
 */
description: string,
/**
 * Whether to ask before running it.
 */
confirm: boolean, verify: boolean, timeout_ms: number,
/**
 * The checks that offer it.
 */
checks: Array<string>,
/**
 * The checks that run it by themselves (`auto_action`).
 */
auto_for: Array<string>, budget: Budget,
/**
 * A run is under way.
 */
running: boolean, };

export type ActionOutput = { ref: string, action: string, text: string, };

export type ActionRun = { id: number, action: string, check: string | null, incident: number | null, requested_by: Requester, dry_run: boolean, status: RunStatus, exit_code: number | null, output: string, started_at: string, duration_ms: number, verified: boolean | null,
/**
 * A cleanup's quarantine: what it moved away, until when undo can put it back.
 */
quarantine: Quarantine | null,
/**
 * A dry run's plan, for a cleanup: exactly the files that would go.
 */
plan?: Plan, };

export type ActionRuns = { runs: Array<ActionRun>, };

export type ActionRunsArgs = { action?: string, check?: string, incident?: number, limit?: number, };

export type ApiError = { code: string, message: string, resolution: string,
/**
 * When asking again may succeed (`action_budget_exhausted`).
 */
retry_at?: string, };

export type Breaker = { state: BreakerState,
/**
 * Percent of the window's calls that failed; null below `min_calls`.
 */
failure_rate: number | null,
/**
 * Percent of the window's calls that were slow; null below `min_calls`.
 */
slow_rate: number | null,
/**
 * The calls in the window (in half-open: the trials so far).
 */
calls: number, failed_calls: number, slow_calls: number,
/**
 * The window's last calls, oldest first: `o` ok, `s` slow, `f` failed, `F` failed
 * and slow.
 */
recent: string, consecutive_failures: number, opened_at: string | null, next_trial_at: string | null,
/**
 * Trials that failed in a row: each doubled the wait.
 */
failed_trials: number, rule: BreakerRule, };

export type BreakerArgs = { id: string, state: BreakerState, };

export type BreakerChange = { at: string, from: BreakerState, to: BreakerState, reason: string, by: string, };

export type BreakerRule = {
/**
 * The first form: this many failures in a row (null with rates).
 */
failure_threshold: number | null,
/**
 * A count window's size (null for a time window or the first form).
 */
window_calls: number | null,
/**
 * A time window's period.
 */
window_ms: number | null,
/**
 * The thresholds in percent (null for the first form).
 */
failure_rate: number | null, slow_rate: number | null, min_calls: number | null, slow_call_ms: number, half_open_calls: number, open_for_ms: number, max_open_for_ms: number, };

export type BreakerState = "closed" | "open" | "half_open" | "disabled" | "forced_open";

export type Budget = { max_runs: number,
/**
 * The window, as config writes it: `10m`.
 */
per: string, per_ms: number,
/**
 * Runs that count now (every run but dry ones, since the last reset).
 */
runs_in_window: number,
/**
 * Until when no run is allowed; null while one is.
 */
blocked_until: string | null, };

export type Check = { id: string, name: string, kind: string, group: string | null, critical: boolean, status: Status, since: string,
/**
 * Why the status is what it is, when that is not obvious.
 */
reason: string | null, interval_ms: number, actions: Array<string>, depends_on: Array<string>, open_incident: number | null, breaker: Breaker | null, last: LastResult | null,
/**
 * What the service says about its components (an http check whose body is Spring
 * Boot Actuator health or `application/health+json`); empty otherwise.
 */
components: Array<ServiceComponent>,
/**
 * The service's own circuit breakers (an http check with `breakers_url`); empty
 * otherwise.
 */
service_breakers: Array<ServiceBreaker>,
/**
 * Why the service's breakers could not be read, when they could not.
 */
service_breakers_error: string | null,
/**
 * Self-healing, for a check with `auto_action`.
 */
healing: Healing | null,
/**
 * Changing state too often (flap detection, `[alerts] flap`): it told so once and
 * tells nothing else until it settles.
 */
flapping: boolean, };

export type CheckDetail = {
/**
 * What is probed, for people: `GET https://…`, `db:5432`, `disk /`; passwords in
 * URLs are shown as `••••`.
 */
target: string, timeout_ms: number, expect: Array<string>, degraded_if: Array<string>, failure_threshold: number, success_threshold: number,
/**
 * The breaker's last changes, newest first (at most 20).
 */
breaker_changes: Array<BreakerChange>, id: string, name: string, kind: string, group: string | null, critical: boolean, status: Status, since: string,
/**
 * Why the status is what it is, when that is not obvious.
 */
reason: string | null, interval_ms: number, actions: Array<string>, depends_on: Array<string>, open_incident: number | null, breaker: Breaker | null, last: LastResult | null,
/**
 * What the service says about its components (an http check whose body is Spring
 * Boot Actuator health or `application/health+json`); empty otherwise.
 */
components: Array<ServiceComponent>,
/**
 * The service's own circuit breakers (an http check with `breakers_url`); empty
 * otherwise.
 */
service_breakers: Array<ServiceBreaker>,
/**
 * Why the service's breakers could not be read, when they could not.
 */
service_breakers_error: string | null,
/**
 * Self-healing, for a check with `auto_action`.
 */
healing: Healing | null,
/**
 * Changing state too often (flap detection, `[alerts] flap`): it told so once and
 * tells nothing else until it settles.
 */
flapping: boolean, };

export type Component = { check: string, critical: boolean, status: Status, };

export type Failure = { class: FailureClass,
/**
 * What the operator can do about it.
 */
resolution: string, };

export type FailureClass = "refused" | "timeout" | "dns" | "tls" | "http_status" | "condition" | "body_too_large" | "connection" | "component" | "health_body" | "breaker_open" | "probe_error";

export type Group = { id: string,
/**
 * Its name (today its id).
 */
name: string, level: GroupLevel,
/**
 * What causes the level, in words (`Search down, Cart down`); null when operational.
 */
cause: string | null, components: Array<Component>, };

export type GroupLevel = "operational" | "degraded" | "partial_outage" | "major_outage";

export type Healing = { state: HealingState,
/**
 * The auto action.
 */
action: string,
/**
 * Automatic runs since the check was last stable.
 */
attempts: number,
/**
 * When a run is next allowed by the backoff (`waiting`).
 */
next_at: string | null,
/**
 * When the budget allows a run again (`gave_up`).
 */
retry_at: string | null, };

export type HealingState = "idle" | "waiting" | "running" | "gave_up";

export type Health = { status: HealthStatus, degraded: Array<string>, version: string, started_at: string, checks: number, };

export type HealthStatus = "ok" | "degraded";

export type Hello = { missed?: number, };

export type History = { check: string, from: string, to: string, bucket_ms: number, summary: HistorySummary, points: Array<HistoryPoint>, };

export type HistoryArgs = { id: string,
/**
 * How far back: a duration (`1h`, `24h`, `7d`); default `1h`.
 */
range?: string,
/**
 * The window's end, RFC 3339; default now.
 */
to?: string,
/**
 * At most this many buckets; default 360.
 */
points?: number, };

export type HistoryPoint = { at: string, count: number, up: number, degraded: number, down: number, unknown: number, latency_avg_ms: number | null, latency_max_ms: number | null, };

export type HistorySummary = { count: number, up: number, degraded: number, down: number, unknown: number,
/**
 * Share of known results that were up or degraded, in percent; null with no data.
 */
uptime_pct: number | null, latency_avg_ms: number | null, latency_max_ms: number | null, };

export type IdArgs = { id: string, };

export type Incident = { id: number, check: string, started_at: string, resolved_at: string | null, duration_ms: number | null, cause: string, cause_class: FailureClass, failed_conditions: Array<string>, acked: boolean,
/**
 * When it was acknowledged.
 */
acked_at: string | null, note: string | null,
/**
 * Its notes, oldest first.
 */
notes: Array<Note>,
/**
 * Notifications sent about it (not counting suppressed ones).
 */
notifications: number,
/**
 * The recovery actions run on it, oldest first, with who asked.
 */
actions: Array<IncidentRun>, };

export type IncidentResolved = { id: number, check: string, resolved_at: string, };

export type IncidentRun = { id: number, action: string, requested_by: Requester, status: RunStatus, verified: boolean | null, started_at: string, };

export type Incidents = { incidents: Array<Incident>, };

export type IncidentsArgs = {
/**
 * Only this check's.
 */
check?: string,
/**
 * Only open ones.
 */
open?: boolean,
/**
 * Most incidents (default 100, at most 1000).
 */
limit?: number, };

export type LastResult = { at: string, ok: boolean, latency_ms: number | null, message: string, failure: Failure | null, };

export type MaintenanceWindow = { id: string, checks: Array<string>, groups: Array<string>,
/**
 * A recurring window: its cron schedule (local time) and how long each lasts.
 */
schedule: string | null, duration: string | null, reason: string | null,
/**
 * Whether it is on now.
 */
active: boolean,
/**
 * The span now, when active; else the next one (`null` when none is to come).
 */
starts_at: string | null, ends_at: string | null,
/**
 * The start of the span after the one now (for an active recurring window).
 */
next_start: string | null,
/**
 * Every check it covers (its groups' too), by id.
 */
covers: Array<string>, };

export type MaintenanceWindows = { windows: Array<MaintenanceWindow>, };

export type NetworkDown = { since: string, why: string, };

export type NoArgs = Record<symbol, never>;

export type Note = { at: string, text: string, author: string, };

export type NoteArgs = { id: string, text: string, };

export type Notification = { id: number, at: string, event: NotifyEvent,
/**
 * The checks it is about: a burst names them all.
 */
checks: Array<string>, incident: number | null, channel: string, severity: Severity, title: string, body: string,
/**
 * `null` while a delivery is still being tried (or it was suppressed).
 */
delivered: boolean | null, attempts: number, error: string | null, suppressed: Suppressed | null, };

export type Notifications = { notifications: Array<Notification>, };

export type NotificationsArgs = {
/**
 * Only those about this check.
 */
check?: string,
/**
 * Only those about this incident.
 */
incident?: number,
/**
 * Most decisions (default 100, at most 1000).
 */
limit?: number, };

export type NotifyEvent = "opened" | "resolved" | "reminder" | "flapping" | "no_network" | "restart_loop" | "cert_expiry" | "service_breaker";

export type PauseAllArgs = { for?: string, };

export type PauseArgs = { id: string, for?: string, };

export type PauseResult = {
/**
 * Checks whose shown status changed (already paused or running ones are not counted).
 */
changed: number,
/**
 * When the pause ends; null for a resume or a pause until resumed.
 */
until: string | null, };

export type Plan = { files: Array<PlanFile>, count: number,
/**
 * The bytes that would come back.
 */
bytes: number, };

export type PlanFile = { path: string, size: number, modified: string, };

export type ProbeResult = { at: string, status: Status, latency_ms: number | null, class: FailureClass | null, message: string, };

export type Quarantine = {
/**
 * Its folder under the data dir's `quarantine/`; null when the files were deleted
 * at once (`quarantine = "0s"`).
 */
dir: string | null, count: number, bytes: number,
/**
 * When it is purged (undo is possible until then).
 */
expires_at: string | null, undone_at: string | null, };

export type Requester = "cli" | "api" | "auto" | "desktop";

export type Results = { check: string, results: Array<ProbeResult>, };

export type ResultsArgs = { id: string,
/**
 * Most results (default 50, at most 1000).
 */
limit?: number, };

export type RunActionArgs = { id: string, dry_run?: boolean,
/**
 * The caller's name for this run (letters, digits, `-`, `_`; at most 64): its live
 * output is published as `action_output` updates carrying it.
 */
ref?: string, };

export type RunStatus = "ok" | "failed" | "timeout" | "error" | "dry_run" | "running" | "interrupted";

export type ServiceBreaker = { name: string, state: string, failure_rate: number | null, slow_call_rate: number | null, failure_rate_threshold: number | null, slow_call_rate_threshold: number | null, buffered_calls: number | null, failed_calls: number | null, slow_calls: number | null, not_permitted_calls: number | null, };

export type ServiceComponent = { name: string, status: string, detail: string | null, };

export type Severity = "warning" | "critical";

export type Silence = { id: number, checks: Array<string>, groups: Array<string>, starts_at: string, ends_at: string,
/**
 * When it was ended early.
 */
ended_at: string | null,
/**
 * Whether it mutes now.
 */
active: boolean, reason: string, created_by: string, };

export type SilenceArgs = {
/**
 * Check ids.
 */
checks?: Array<string>,
/**
 * Group names.
 */
groups?: Array<string>,
/**
 * How long, e.g. `"1h"`.
 */
for?: string,
/**
 * Until when, RFC 3339.
 */
until?: string, reason: string, };

export type Silences = { silences: Array<Silence>, };

export type SilencesArgs = {
/**
 * Ended and expired ones too.
 */
all?: boolean, };

export type Status = "up" | "degraded" | "down" | "unknown" | "paused" | "maintenance";

export type StatusReport = {
/**
 * The worst status of all checks (`up` with none).
 */
overall: Status, checks: Array<Check>, groups: Array<Group>,
/**
 * The connectivity sentinel fails: since when and why (remote checks are
 * `unknown`, "no network"); `null` while the network answers.
 */
network_down: NetworkDown | null, };

export type Suppressed = "silenced" | "maintenance" | "acked" | "quiet_hours" | "flapping" | "parent_down" | "no_network";

export type Undone = { run: ActionRun, restored: number, };

/** Every operation: its arguments and its answer. */
export interface Operations {
  status: [NoArgs, StatusReport];
  health: [NoArgs, Health];
  check: [IdArgs, CheckDetail];
  results: [ResultsArgs, Results];
  history: [HistoryArgs, History];
  incidents: [IncidentsArgs, Incidents];
  ack: [AckArgs, Incident];
  add_note: [NoteArgs, Incident];
  notifications: [NotificationsArgs, Notifications];
  silences: [SilencesArgs, Silences];
  create_silence: [SilenceArgs, Silence];
  end_silence: [IdArgs, Silence];
  maintenance: [NoArgs, MaintenanceWindows];
  actions: [NoArgs, Array<Action>];
  action_runs: [ActionRunsArgs, ActionRuns];
  run_action: [RunActionArgs, ActionRun];
  reset_action: [IdArgs, Action];
  undo: [IdArgs, Undone];
  steer_breaker: [BreakerArgs, Breaker];
  pause: [PauseArgs, PauseResult];
  resume: [IdArgs, PauseResult];
  pause_all: [PauseAllArgs, PauseResult];
  resume_all: [NoArgs, PauseResult];
}

/** How each operation is called on the daemon; `{id}` is its `id` argument. */
export const ROUTES: { [K in keyof Operations]: { method: "GET" | "POST" | "DELETE"; path: string } } = {
  status: { method: "GET", path: "/api/v1/status" },
  health: { method: "GET", path: "/healthz" },
  check: { method: "GET", path: "/api/v1/checks/{id}" },
  results: { method: "GET", path: "/api/v1/checks/{id}/results" },
  history: { method: "GET", path: "/api/v1/checks/{id}/history" },
  incidents: { method: "GET", path: "/api/v1/incidents" },
  ack: { method: "POST", path: "/api/v1/incidents/{id}/ack" },
  add_note: { method: "POST", path: "/api/v1/incidents/{id}/notes" },
  notifications: { method: "GET", path: "/api/v1/notifications" },
  silences: { method: "GET", path: "/api/v1/silences" },
  create_silence: { method: "POST", path: "/api/v1/silences" },
  end_silence: { method: "DELETE", path: "/api/v1/silences/{id}" },
  maintenance: { method: "GET", path: "/api/v1/maintenance" },
  actions: { method: "GET", path: "/api/v1/actions" },
  action_runs: { method: "GET", path: "/api/v1/action-runs" },
  run_action: { method: "POST", path: "/api/v1/actions/{id}/run" },
  reset_action: { method: "POST", path: "/api/v1/actions/{id}/reset" },
  undo: { method: "POST", path: "/api/v1/action-runs/{id}/undo" },
  steer_breaker: { method: "POST", path: "/api/v1/checks/{id}/breaker" },
  pause: { method: "POST", path: "/api/v1/checks/{id}/pause" },
  resume: { method: "POST", path: "/api/v1/checks/{id}/resume" },
  pause_all: { method: "POST", path: "/api/v1/pause" },
  resume_all: { method: "POST", path: "/api/v1/resume" },
};
