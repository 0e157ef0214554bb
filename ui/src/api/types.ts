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
plan?: Plan,
/**
 * How it went, beside its status: `exit 0 · 2 s · verified: the check is up again`.
 */
details: string, };

export type ActionRuns = { runs: Array<ActionRun>, };

export type ActionRunsArgs = { action?: string, check?: string, incident?: number, limit?: number, };

export type AddChecksArgs = { checks: Array<CheckKeys>, if_match?: string, };

export type ApiError = { code: string, message: string, resolution: string,
/**
 * When asking again may succeed (`action_budget_exhausted`).
 */
retry_at?: string,
/**
 * Each problem in the config file (`config_invalid`).
 */
errors?: Array<ConfigError>, };

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
 * The window's last calls, oldest first.
 */
recent: Array<BreakerCall>, consecutive_failures: number, opened_at: string | null, next_trial_at: string | null,
/**
 * Trials that failed in a row: each doubled the wait.
 */
failed_trials: number, rule: BreakerRule,
/**
 * In one phrase, as the overview and `watchkeeper status` say it: `open, trial in 12 s`.
 */
phrase: Phrase,
/**
 * What it is doing now, in a sentence.
 */
doing: Phrase,
/**
 * Its rates against their thresholds: failed calls, then slow ones.
 */
rates: Array<BreakerRate>, };

export type BreakerArgs = { id: string, state: BreakerState, };

export type BreakerCall = "ok" | "slow" | "failed" | "failed_slow";

export type BreakerChange = { at: string, from: BreakerState, to: BreakerState, reason: string, by: string,
/**
 * `open → forced open by the command line`.
 */
text: string, };

export type BreakerRate = {
/**
 * `failed` or `slow`.
 */
name: string,
/**
 * In percent; null below the calls it needs.
 */
rate: number | null,
/**
 * Where it opens, in percent; null for the first form.
 */
threshold: number | null,
/**
 * `60% (6 of 10) · opens at 50%`.
 */
text: string, };

export type BreakerRule = { trip: BreakerTrip, slow_call_ms: number, half_open_calls: number, open_for_ms: number, max_open_for_ms: number,
/**
 * In words: `50% of the last 20 calls fail, or all are slow (over 1 s), once 10
 * calls are in`.
 */
text: string, };

export type BreakerState = "closed" | "open" | "half_open" | "disabled" | "forced_open";

export type BreakerTrip = { "kind": "consecutive", failures: number, } | { "kind": "rates", window: BreakerWindow, failure_rate: number, slow_rate: number, min_calls: number, };

export type BreakerWindow = { "kind": "calls", calls: number, } | { "kind": "period", period_ms: number, };

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
blocked_until: string | null,
/**
 * `2 of 3 runs in 10m`, and when spent, how long until the next is allowed.
 */
phrase: Phrase, };

export type BulkArgs = { lines: string, kind?: string, defaults?: CheckKeys, };

export type BulkPreview = { proposals: Array<Proposal>, };

export type Cert = { subject: string, issuer: string, sans: Array<string>, days_left: number | null,
/**
 * `12 days left, CN=api by R3`.
 */
text: string, };

export type Change = { what: string, before: string, after: string, text: string, };

export type Check = { id: string, name: string, kind: string, group: string | null, critical: boolean, status: Status, since: string,
/**
 * Why the status is what it is, when that is not obvious.
 */
reason: string | null,
/**
 * What it shows beside its status: its reason, else its last result's message.
 */
message: string,
/**
 * What to do about it (a failure's resolution); null while up.
 */
hint: string | null, interval_ms: number, actions: Array<string>, depends_on: Array<string>, open_incident: number | null, breaker: Breaker | null, last: LastResult | null,
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
flapping: boolean,
/**
 * The silence that mutes its notifications now, if one does.
 */
silenced: Silenced | null,
/**
 * Its open incident is acknowledged.
 */
acked: boolean,
/**
 * Paused by the user until then (null with status `paused`: until resumed).
 */
paused_until: string | null,
/**
 * What lies over its status, in words: silenced, acknowledged, optional, behind an
 * open breaker.
 */
marks: Array<Mark>,
/**
 * Its state in one line, as the tray and `watchkeeper status` show it:
 * `Down, acknowledged: connection refused`.
 */
text: string, };

export type CheckConfigKeys = { keys: CheckKeys, version: string, };

export type CheckDetail = {
/**
 * What is probed, for people: `GET https://…`, `db:5432`, `disk /`; passwords in
 * URLs are shown as `••••`.
 */
target: string, timeout_ms: number, expect: Array<string>, degraded_if: Array<string>, failure_threshold: number, success_threshold: number,
/**
 * The breaker's last changes, newest first (at most 20).
 */
breaker_changes: Array<BreakerChange>,
/**
 * For a heartbeat check: where its job pings, and how.
 */
push: Push | null, id: string, name: string, kind: string, group: string | null, critical: boolean, status: Status, since: string,
/**
 * Why the status is what it is, when that is not obvious.
 */
reason: string | null,
/**
 * What it shows beside its status: its reason, else its last result's message.
 */
message: string,
/**
 * What to do about it (a failure's resolution); null while up.
 */
hint: string | null, interval_ms: number, actions: Array<string>, depends_on: Array<string>, open_incident: number | null, breaker: Breaker | null, last: LastResult | null,
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
flapping: boolean,
/**
 * The silence that mutes its notifications now, if one does.
 */
silenced: Silenced | null,
/**
 * Its open incident is acknowledged.
 */
acked: boolean,
/**
 * Paused by the user until then (null with status `paused`: until resumed).
 */
paused_until: string | null,
/**
 * What lies over its status, in words: silenced, acknowledged, optional, behind an
 * open breaker.
 */
marks: Array<Mark>,
/**
 * Its state in one line, as the tray and `watchkeeper status` show it:
 * `Down, acknowledged: connection refused`.
 */
text: string, };

export type CheckKeys = Record<string, unknown>;

export type Component = { check: string, name: string, critical: boolean, status: Status, };

export type ConfigChanges = { added: Array<string>, changed: Array<string>, removed: Array<string>, unchanged: Array<string>, channels: Array<string>, };

export type ConfigError = { file: string, line: number, column: number,
/**
 * The table it is about, as messages name it: `check "api"`.
 */
table: string | null,
/**
 * The key of that table it is about.
 */
key: string | null, message: string, resolution: string, };

export type ConfigFile = {
/**
 * The file (null: started without one).
 */
path: string | null,
/**
 * A hash of the bytes of the file the running config was compiled from.
 */
version: string, loaded_at: string, last_reload: Reload | null,
/**
 * While the file does not compile: what the dashboard's banner and the tray say
 * (the running config stays).
 */
failing: string | null, };

export type ConfigSchema = Record<string, unknown>;

export type Countdown = { at: string, ticking: string, due: string, };

export type DiskUse = { mount: string, used_percent: number,
/**
 * Bytes available.
 */
available: number,
/**
 * `/var 97% used, 1.2 GB available`.
 */
text: string, };

export type Evidence = { at: string,
/**
 * Its first line, as the notification carried it: the first change
 * (`status: 200 → 503`); null when nothing was compared.
 */
headline: string | null, observed: Observed,
/**
 * When the good result compared with was seen; null when none was seen since
 * Watchkeeper started (and `changes` is empty).
 */
last_good_at: string | null, changes: Array<Change>,
/**
 * This machine at that moment, for a target on it.
 */
local: Local | null, };

export type ExportArgs = {
/**
 * `results`, `incidents`, `notifications` or `actions` (action runs).
 */
what: string,
/**
 * `csv` (default) or `json`.
 */
format?: string,
/**
 * Only this check's rows.
 */
check?: string,
/**
 * Only the rows of this group's checks.
 */
group?: string,
/**
 * Only results or incidents of this class of failure.
 */
class?: FailureClass,
/**
 * Only rows at or after this time (RFC 3339); incidents open at some time after
 * it. Or give `range`.
 */
from?: string,
/**
 * Only rows within this long before `to` (a duration: `24h`, `7d`).
 */
range?: string,
/**
 * Only rows before this time (RFC 3339); incidents started before it.
 */
to?: string, };

export type Failure = { class: FailureClass,
/**
 * What the operator can do about it.
 */
resolution: string, };

export type FailureClass = "refused" | "timeout" | "dns" | "tls" | "http_status" | "condition" | "body_too_large" | "connection" | "component" | "health_body" | "breaker_open" | "not_found" | "permission" | "nxdomain" | "servfail" | "dns_refused" | "cert_expiry" | "cert_name" | "cert_self_signed" | "cert_untrusted" | "container_engine" | "query_error" | "unexpected_answer" | "missed_heartbeat" | "job_failed" | "alert_firing" | "probe_error";

export type Group = { id: string,
/**
 * Its name (today its id).
 */
name: string, level: GroupLevel,
/**
 * What causes the level, in words (`Search down, Cart down`); null when operational.
 */
cause: string | null,
/**
 * `shop: partial outage (Search down)`.
 */
headline: string, components: Array<Component>, };

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
retry_at: string | null,
/**
 * What it is doing, in a sentence; null when idle.
 */
phrase: Phrase | null, };

export type HealingState = "idle" | "waiting" | "running" | "gave_up" | "held";

export type Health = { status: HealthStatus, degraded: Array<string>, version: string, started_at: string, checks: number, };

export type HealthStatus = "ok" | "degraded";

export type History = { check: string,
/**
 * The first point's start (the window's start, aligned to the source's minute or
 * hour).
 */
from: string, to: string,
/**
 * Each point's span.
 */
bucket_ms: number,
/**
 * What answered: results for short ranges, then the rollups per minute, per hour.
 */
source: HistorySource,
/**
 * What the check measures besides latency: its points carry the value's mean and
 * highest, and the chart draws them.
 */
measure: Measure | null, summary: HistoryPoint,
/**
 * The summary's uptime for people: `99.95%`, or `no results`.
 */
uptime_text: string,
/**
 * Oldest first; a span with no result has no point.
 */
points: Array<HistoryPoint>, };

export type HistoryArgs = { id: string,
/**
 * The window's start, RFC 3339; or give `range`.
 */
from?: string,
/**
 * How far back from `to`: a duration (`1h`, `24h`, `90d`); default `1h` when
 * `from` is not given either.
 */
range?: string,
/**
 * The window's end, RFC 3339; default now.
 */
to?: string,
/**
 * At most this many points, 1 to 2000; default 360.
 */
points?: number, };

export type HistoryPoint = {
/**
 * The span's start.
 */
t: string, count: number, up: number, degraded: number, down: number, unknown: number,
/**
 * Results that failed (`down`).
 */
failures: number,
/**
 * Share of known results that were up or degraded, in percent.
 */
uptime: number | null, avg: number | null, p50: number | null, p95: number | null, max: number | null,
/**
 * The measured value's mean and highest (see `measure`).
 */
value_avg: number | null, value_max: number | null, };

export type HistorySource = "results" | "minute" | "hour" | "day";

export type IdArgs = { id: string, };

export type ImportArgs = { text: string, format?: string, };

export type ImportNote = { item: string, why: string, };

export type ImportPreview = { format: string, checks: Array<CheckKeys>, skipped: Array<ImportNote>, notes: Array<ImportNote>, };

export type Incident = { id: number, check: string, started_at: string, resolved_at: string | null, duration_ms: number | null, cause: string, cause_class: FailureClass,
/**
 * What to do about its cause.
 */
resolution: string, failed_conditions: Array<string>, acked: boolean,
/**
 * When it was acknowledged.
 */
acked_at: string | null, note: string | null,
/**
 * How it ended when not by its check recovering: `removed from config`.
 */
resolved_as: string | null,
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
actions: Array<IncidentRun>,
/**
 * What the probe saw when it opened, what changed against the last good result,
 * and this machine at that moment: only `GET /api/v1/incidents/{id}` has it (null
 * when it keeps none: an older incident of a check with many).
 */
evidence?: Evidence, };

export type IncidentResolved = { id: number, check: string, resolved_at: string,
/**
 * How long it lasted (null when its start was lost).
 */
duration_ms: number | null, };

export type IncidentRun = { id: number, action: string, requested_by: Requester, status: RunStatus, verified: boolean | null, started_at: string, };

export type IncidentSpan = { id: number, started_at: string, resolved_at: string | null, cause: string, cause_class: FailureClass,
/**
 * How long it lasted, or has so far: `12 min`.
 */
duration_text: string, };

export type Incidents = { incidents: Array<Incident>, };

export type IncidentsArgs = {
/**
 * Only this check's.
 */
check?: string,
/**
 * Only those of this group's checks.
 */
group?: string,
/**
 * Only those of this class of failure (`timeout`, `refused`, ...).
 */
class?: FailureClass,
/**
 * Only those open at some time at or after this (RFC 3339); or give `range`.
 */
from?: string,
/**
 * Only those open within this long before `to` (a duration: `24h`, `7d`).
 */
range?: string,
/**
 * Only those started before this (RFC 3339); default now.
 */
to?: string,
/**
 * Only open ones.
 */
open?: boolean,
/**
 * Most incidents (default 100, at most 1000).
 */
limit?: number, };

export type LastResult = { at: string,
/**
 * The result's own status (the check's may differ while a failure is confirmed).
 */
status: Status, ok: boolean, latency_ms: number | null, message: string, failure: Failure | null, };

export type LiveUpdate = { "update": "hello", missed: number | null, } | { "update": "checks", checks: Array<Check>, } | { "update": "overview", overview: Overview, } | { "update": "incident", incident: Incident, } | { "update": "incident_resolved", resolved: IncidentResolved, } | { "update": "action_output", output: ActionOutput, } | { "update": "action_run", run: ActionRun, } | { "update": "restart_loop", restart_loop: RestartLoop, };

export type Local = {
/**
 * The port the check reaches, when it reaches one.
 */
port: number | null,
/**
 * Who listens on it: null when nobody does (or there is no port).
 */
port_owner: PortOwner | null,
/**
 * How `port_owner` reads: `postgres (pid 812) listens on 5432`, `nobody listens
 * on 8080`.
 */
port_text: string | null,
/**
 * The busiest processes by CPU, then the largest by memory.
 */
top: Array<TopProcess>,
/**
 * File systems, fullest first.
 */
disk: Array<DiskUse>, memory: MemoryUse | null, };

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
covers: Array<string>,
/**
 * Their names, in the same order.
 */
covers_names: Array<string>,
/**
 * When it comes: `0 2 * * sun for 2h`, or `once`.
 */
when: string,
/**
 * What it is doing: `on until 04:00; next …`, `next … to …`, or `over`.
 */
now: string, };

export type MaintenanceWindows = { windows: Array<MaintenanceWindow>, };

export type Mark = { kind: MarkKind, text: string, };

export type MarkKind = "silenced" | "acknowledged" | "optional" | "breaker_open";

export type Measure = { label: string, unit: string, };

export type MemoryUse = { used_percent: number,
/**
 * Bytes available.
 */
available: number,
/**
 * Bytes in all.
 */
total: number,
/**
 * `memory 45% used, 12 GB available of 24 GB`.
 */
text: string, };

export type NamedText = { name: string, value: string, };

export type NetworkDown = { since: string, why: string,
/**
 * The banner: what it means for the checks.
 */
text: string, };

export type NoArgs = Record<symbol, never>;

export type Note = { at: string, text: string, author: string, };

export type NoteArgs = { id: string, text: string, };

export type Notification = { id: number, at: string, event: NotifyEvent,
/**
 * What it is about, in words: `down`, `recovered`, `restart loop`.
 */
event_text: string,
/**
 * The checks it is about: a burst names them all.
 */
checks: Array<string>, incident: number | null, channel: string, severity: Severity, title: string, body: string,
/**
 * `null` while a delivery is still being tried (or it was suppressed).
 */
delivered: boolean | null, attempts: number, error: string | null, suppressed: Suppressed | null,
/**
 * Where it stands, in words: `delivered`, `not sent: silenced`, `retrying (3
 * tries): …`.
 */
outcome: Outcome, };

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
 * Only those for this channel.
 */
channel?: string,
/**
 * Only those about this.
 */
event?: NotifyEvent,
/**
 * Only those that stand so.
 */
outcome?: OutcomeState,
/**
 * Most decisions (default 100, at most 1000).
 */
limit?: number, };

export type NotifyEvent = "opened" | "resolved" | "reminder" | "flapping" | "no_network" | "restart_loop" | "cert_expiry" | "service_breaker" | "degraded" | "restored";

export type Observed = {
/**
 * The probe's one line (`HTTP 503`, `connection refused (…)`).
 */
summary: string, status: number | null,
/**
 * Response headers, names lowercased, in the order received.
 */
headers: Array<NamedText>,
/**
 * The body's start (2 KB at most), secrets masked.
 */
body_excerpt: string | null,
/**
 * The values conditions read, as "got" shows them (`json.db.status`: `"DOWN"`).
 */
values: Array<NamedText>, cert: Cert | null, answers: Array<string> | null, exit: number | null,
/**
 * A command's output (its last 2 KB).
 */
output: string | null, latency_ms: number | null, };

export type Outcome = { state: OutcomeState, text: string, };

export type OutcomeState = "delivered" | "held" | "failed" | "retrying" | "sending";

export type Overview = {
/**
 * The worst status of all checks (`up` with none).
 */
overall: Status,
/**
 * The worst a person is shown: a failing component at most its group's level;
 * `unknown` with no checks. The tray's icon.
 */
level: Status,
/**
 * `all 12 up`, `3 down: a, b, c`, or the worst group's headline.
 */
summary: string, groups: Array<Group>,
/**
 * The connectivity sentinel fails: since when and why (remote checks are
 * `unknown`, "no network"); `null` while the network answers.
 */
network_down: NetworkDown | null, };

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

export type Phrase = { text: string, countdown: Countdown | null, };

export type Plan = { files: Array<PlanFile>, count: number,
/**
 * The bytes that would come back.
 */
bytes: number, };

export type PlanFile = { path: string, size: number, modified: string, };

export type PortOwner = {
/**
 * Null when its process cannot be seen (another user's).
 */
pid: number | null, process: string, };

export type ProbeResult = { at: string, status: Status, latency_ms: number | null, class: FailureClass | null, message: string,
/**
 * What the check measured (see `measure`), when it measures something.
 */
value: number | null,
/**
 * Its unit (`%`; empty for a plain number); null with no value.
 */
unit: string | null, };

export type Proposal = {
/**
 * Its line number, from 1, and its text.
 */
line: number, text: string, check: CheckKeys | null, error: string | null, };

export type Push = { url: string,
/**
 * `curl -fsS -m 10 -X POST URL`: the job succeeded.
 */
curl: string,
/**
 * The same, reporting a failure with a message.
 */
curl_fail: string, };

export type Quarantine = {
/**
 * Its folder under the data dir's `quarantine/`; null when the files were deleted
 * at once (`quarantine = "0s"`).
 */
dir: string | null, count: number, bytes: number,
/**
 * When it is purged (undo is possible until then).
 */
expires_at: string | null, undone_at: string | null,
/**
 * What it holds: `3 files (1.5MB)`.
 */
what: string, };

export type Reload = { at: string, trigger: ReloadTrigger,
/**
 * The file compiled and was applied; else the running config stays.
 */
ok: boolean, errors: Array<ConfigError>, warnings: Array<ConfigError>, changes: ConfigChanges,
/**
 * Changes that take effect only at the next start, in words.
 */
pending: Array<string>,
/**
 * The version of the file read (null: it could not be read).
 */
version: string | null,
/**
 * From reading the file to every changed check started.
 */
took_ms: number, };

export type ReloadTrigger = "watch" | "signal" | "api" | "cli";

export type RemoveCheckArgs = { id: string, if_match?: string, };

export type Requester = "cli" | "api" | "auto" | "desktop";

export type RestartLoop = { check: string, name: string, action: string, max_runs: number, per: string,
/**
 * When the budget allows a run again.
 */
retry_at: string, };

export type Results = { check: string,
/**
 * What the check measures besides latency, when it measures something.
 */
measure: Measure | null, results: Array<ProbeResult>, };

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

export type SavedExport = { path: string, lines: number, bytes: number, };

export type ServiceBreaker = { name: string, state: string,
/**
 * What its state means, as a status: `CLOSED` up, `HALF_OPEN` degraded, `OPEN` and
 * `FORCED_OPEN` down, any other unknown.
 */
level: Status, failure_rate: number | null, slow_call_rate: number | null, failure_rate_threshold: number | null, slow_call_rate_threshold: number | null, buffered_calls: number | null, failed_calls: number | null, slow_calls: number | null, not_permitted_calls: number | null,
/**
 * Its failure rate against its threshold: `60% (opens at 50%)`, or `—`.
 */
failure_text: string,
/**
 * Its slow-call rate against its threshold.
 */
slow_text: string, };

export type ServiceComponent = { name: string, status: string,
/**
 * What its word means, as a status: `UP`/`pass` up, `warn` degraded, `DOWN`/`fail`
 * down, any other unknown.
 */
level: Status, detail: string | null, };

export type Severity = "warning" | "critical";

export type Silence = { id: number, checks: Array<string>, groups: Array<string>, starts_at: string, ends_at: string,
/**
 * When it was ended early.
 */
ended_at: string | null,
/**
 * Whether it mutes now.
 */
active: boolean, reason: string, created_by: string,
/**
 * What it mutes: `checks api, db; groups shop`.
 */
targets: string, };

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
until?: string,
/**
 * A snooze (`SNOOZES`: `15m`, `1h`, `4h`, `tomorrow`), instead of `for` or
 * `until`: the core works out its end, in its local time.
 */
snooze?: string, reason: string, };

export type Silenced = { id: number, until: string, reason: string, by: string, };

export type Silences = { silences: Array<Silence>, };

export type SilencesArgs = {
/**
 * Ended and expired ones too.
 */
all?: boolean, };

export type Status = "up" | "degraded" | "down" | "unknown" | "paused" | "maintenance";

export type StatusReport = { checks: Array<Check>,
/**
 * The worst status of all checks (`up` with none).
 */
overall: Status,
/**
 * The worst a person is shown: a failing component at most its group's level;
 * `unknown` with no checks. The tray's icon.
 */
level: Status,
/**
 * `all 12 up`, `3 down: a, b, c`, or the worst group's headline.
 */
summary: string, groups: Array<Group>,
/**
 * The connectivity sentinel fails: since when and why (remote checks are
 * `unknown`, "no network"); `null` while the network answers.
 */
network_down: NetworkDown | null, };

export type Strip = { check: string,
/**
 * Oldest first.
 */
results: Array<Tick>, uptime: number | null,
/**
 * `99.95%`, or `no results`.
 */
uptime_text: string, };

export type Strips = {
/**
 * How many results a strip shows.
 */
length: number,
/**
 * The uptime's window: `24h`.
 */
window: string, checks: Array<Strip>, };

export type StripsArgs = {
/**
 * Each check's latest results, 0 to 100 (default 30): 0 for the uptime alone.
 */
results?: number, };

export type Suggestion = { id: string,
/**
 * What it is: `port`, `http`, `container`, `mount`, `unit`.
 */
kind: string, title: string, why: string,
/**
 * The check, as `POST /api/v1/checks` takes it.
 */
check: CheckKeys, };

export type Suggestions = { suggestions: Array<Suggestion>, };

export type Suppressed = "silenced" | "maintenance" | "acked" | "quiet_hours" | "flapping" | "parent_down" | "no_network" | "no_desktop";

export type Tick = { at: string, status: Status, latency_ms: number | null, };

export type TopProcess = { pid: number, process: string,
/**
 * Percent of one core.
 */
cpu: number,
/**
 * Resident bytes.
 */
memory: number,
/**
 * `12.5%`.
 */
cpu_text: string,
/**
 * `1.2 GB`.
 */
memory_text: string, };

export type Trial = { status: Status, latency_ms: number | null, message: string,
/**
 * Why it is not up, when it is not.
 */
class: FailureClass | null, };

export type Undone = { run: ActionRun, restored: number, };

export type Uptime = { check: string,
/**
 * When it was computed: each window ends here.
 */
at: string, windows: UptimeWindows,
/**
 * Mean time to recover over 90 days: the mean length of its resolved incidents.
 */
mttr_s: number | null, mttr_text: string | null,
/**
 * Mean time between failures over 90 days: time up per incident started.
 */
mtbf_s: number | null, mtbf_text: string | null,
/**
 * The incidents of the last 90 days, newest first (at most 100).
 */
incidents: Array<IncidentSpan>, };

export type UptimeWindow = {
/**
 * The window's name: `24h`, `7d`, `30d`, `90d`.
 */
name: string,
/**
 * Share of known results that were up or degraded, in percent; null with none.
 */
uptime: number | null,
/**
 * `99.95%`, or `no results`.
 */
text: string, results: number, failures: number,
/**
 * How long the check was down: from each failed result to the next result.
 */
downtime_s: number, downtime_text: string, };

export type UptimeWindows = { "24h": UptimeWindow, "7d": UptimeWindow, "30d": UptimeWindow, "90d": UptimeWindow, };

/** Every operation: its arguments and its answer. */
export interface Operations {
  status: [NoArgs, StatusReport];
  health: [NoArgs, Health];
  check: [IdArgs, CheckDetail];
  results: [ResultsArgs, Results];
  history: [HistoryArgs, History];
  uptime: [IdArgs, Uptime];
  strips: [StripsArgs, Strips];
  incidents: [IncidentsArgs, Incidents];
  incident: [IdArgs, Incident];
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
  config: [NoArgs, ConfigFile];
  reload_config: [NoArgs, Reload];
  config_schema: [NoArgs, ConfigSchema];
  check_keys: [IdArgs, CheckConfigKeys];
  add_check: [CheckKeys, Reload];
  replace_check: [CheckKeys, Reload];
  remove_check: [RemoveCheckArgs, Reload];
  test_check: [CheckKeys, Trial];
  preview_bulk: [BulkArgs, BulkPreview];
  add_checks: [AddChecksArgs, Reload];
  suggestions: [NoArgs, Suggestions];
  preview_import: [ImportArgs, ImportPreview];
}

/** Every live update's name (`update`). */
export const LIVE_UPDATES: LiveUpdate["update"][] = ["hello","checks","overview","incident","incident_resolved","action_output","action_run","restart_loop"];

/** What pasted lines may become in a bulk add (`BulkArgs.kind`). */
export const BULK_KINDS: string[] = ["auto","http","tcp","dns","tls"];

/** What the Suggestions page looks for. */
export const SUGGESTION_SOURCES = "listening ports (with their health path where one answers), containers, filling disks and failed systemd units";

/** The statuses, worst first. */
export const STATUS_ORDER: Status[] = ["down","unknown","degraded","paused","maintenance","up"];

/** A breaker's states in words. */
export const BREAKER_STATE_WORDS: Record<BreakerState, string> = {"closed":"closed","disabled":"disabled","forced_open":"forced open","half_open":"half-open","open":"open"};

/** A group's levels in words. */
export const GROUP_LEVEL_WORDS: Record<GroupLevel, string> = {"degraded":"degraded","major_outage":"major outage","operational":"operational","partial_outage":"partial outage"};

/** A group's levels, best first. */
export const GROUP_LEVEL_ORDER: GroupLevel[] = ["operational","degraded","partial_outage","major_outage"];

/** The snoozes offered: a silence of one check (`SilenceArgs.snooze`). */
export const SNOOZES: { code: string; label: string }[] = [{"code":"15m","label":"15 min"},{"code":"1h","label":"1 h"},{"code":"4h","label":"4 h"},{"code":"tomorrow","label":"until tomorrow 08:00"}];

/** The ranges a check's chart offers (`HistoryArgs.range`), with their buttons. */
export const HISTORY_RANGES: { range: string; label: string }[] = [{"label":"1 h","range":"1h"},{"label":"6 h","range":"6h"},{"label":"24 h","range":"24h"},{"label":"7 d","range":"7d"},{"label":"30 d","range":"30d"},{"label":"90 d","range":"90d"}];

/** Mean time to recover and between failures: their names and what they mean. */
export const MEAN_TIMES = {"mtbf":{"hint":"Mean time between failures: its time up in 90 days per incident","label":"MTBF (90 d)"},"mttr":{"hint":"Mean time to recover: the mean length of its incidents resolved in 90 days","label":"MTTR (90 d)"}};

/** The quick pause a check's page offers: for how long, and its button. */
export const QUICK_PAUSE = {"for":"1h","label":"Pause 1 h"};

/** A failure's class in words. */
export const FAILURE_CLASS_WORDS: Record<FailureClass, string> = {"alert_firing":"alert firing","body_too_large":"body too large","breaker_open":"breaker open","cert_expiry":"certificate expiring","cert_name":"certificate for another name","cert_self_signed":"self-signed certificate","cert_untrusted":"certificate not trusted","component":"a component is down","condition":"condition not met","connection":"connection failed","container_engine":"container engine unavailable","dns":"name not resolved","dns_refused":"DNS query refused","health_body":"unreadable health body","http_status":"unexpected HTTP status","job_failed":"job reported a failure","missed_heartbeat":"missed heartbeat","not_found":"not found","nxdomain":"no such name","permission":"permission denied","probe_error":"probe error","query_error":"query refused","refused":"connection refused","servfail":"DNS server failed","timeout":"timed out","tls":"TLS failed","unexpected_answer":"unexpected answer"};

/** How an action run ended, in words. */
export const RUN_STATUS_WORDS: Record<RunStatus, string> = {"dry_run":"dry run","error":"could not start","failed":"failed","interrupted":"interrupted","ok":"ok","running":"running","timeout":"timed out"};

/** Who asked for an action run, in words. */
export const REQUESTER_WORDS: Record<Requester, string> = {"api":"the dashboard or API","auto":"self-healing","cli":"the command line","desktop":"the desktop app"};

/** What a notification is about, in words. */
export const NOTIFY_EVENT_WORDS: Record<NotifyEvent, string> = {"cert_expiry":"certificate expiry","degraded":"degraded","flapping":"flapping","no_network":"no network","opened":"down","reminder":"reminder","resolved":"recovered","restart_loop":"restart loop","restored":"no longer degraded","service_breaker":"service breaker opened"};

/** Where a notification can stand, as the log's filter offers it. */
export const OUTCOME_STATES: { code: OutcomeState; label: string }[] = [{"code":"delivered","label":"delivered"},{"code":"held","label":"not sent"},{"code":"failed","label":"failed"},{"code":"retrying","label":"retrying"},{"code":"sending","label":"sending"}];

/** What a check's page and the tray call silencing it (a menu of `SNOOZES`) and acknowledging its incident. */
export const SILENCE_MENU = "Silence";
export const ACKNOWLEDGE = "Acknowledge";

/** Durations in milliseconds and how the core says them: countdowns say them the same. */
export const DURATION_EXAMPLES: [number, string][] = [[0,"0 s"],[350,"350 ms"],[999,"999 ms"],[1000,"1 s"],[45900,"45 s"],[59999,"59 s"],[60000,"1 min"],[180500,"3 min"],[3600000,"1 h"],[4320000,"1 h 12 min"],[86400000,"1 d"],[187200000,"2 d 4 h"],[90061000,"1 d 1 h"]];

/** How each operation is called on the daemon; `{id}` is its `id` argument. */
export const ROUTES: { [K in keyof Operations]: { method: "GET" | "POST" | "PUT" | "DELETE"; path: string } } = {
  status: { method: "GET", path: "/api/v1/status" },
  health: { method: "GET", path: "/healthz" },
  check: { method: "GET", path: "/api/v1/checks/{id}" },
  results: { method: "GET", path: "/api/v1/checks/{id}/results" },
  history: { method: "GET", path: "/api/v1/checks/{id}/history" },
  uptime: { method: "GET", path: "/api/v1/checks/{id}/uptime" },
  strips: { method: "GET", path: "/api/v1/strips" },
  incidents: { method: "GET", path: "/api/v1/incidents" },
  incident: { method: "GET", path: "/api/v1/incidents/{id}" },
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
  config: { method: "GET", path: "/api/v1/config" },
  reload_config: { method: "POST", path: "/api/v1/config/reload" },
  config_schema: { method: "GET", path: "/api/v1/config/schema" },
  check_keys: { method: "GET", path: "/api/v1/checks/{id}/config" },
  add_check: { method: "POST", path: "/api/v1/checks" },
  replace_check: { method: "PUT", path: "/api/v1/checks/{id}" },
  remove_check: { method: "DELETE", path: "/api/v1/checks/{id}" },
  test_check: { method: "POST", path: "/api/v1/checks/test" },
  preview_bulk: { method: "POST", path: "/api/v1/checks/bulk/preview" },
  add_checks: { method: "POST", path: "/api/v1/checks/bulk" },
  suggestions: { method: "GET", path: "/api/v1/suggestions" },
  preview_import: { method: "POST", path: "/api/v1/import/preview" },
};
