-- Watchkeeper history, schema 1. Times are Unix milliseconds (UTC).

CREATE TABLE results (
    id          INTEGER PRIMARY KEY,
    check_id    TEXT    NOT NULL,
    at          INTEGER NOT NULL,
    status      TEXT    NOT NULL,              -- up, degraded, down, unknown
    latency_us  INTEGER,
    class       TEXT,                          -- failure class when not up
    message     TEXT    NOT NULL
);
-- Rows are inserted in time order, so pruning walks the rowid: no index on `at` alone.
CREATE INDEX results_by_check_time ON results (check_id, at);

CREATE TABLE state_changes (
    id          INTEGER PRIMARY KEY,
    check_id    TEXT    NOT NULL,
    at          INTEGER NOT NULL,
    from_status TEXT    NOT NULL,
    to_status   TEXT    NOT NULL,
    reason      TEXT
);
CREATE INDEX state_changes_by_check_time ON state_changes (check_id, at);

CREATE TABLE incidents (
    id                INTEGER PRIMARY KEY,     -- assigned by the engine
    check_id          TEXT    NOT NULL,
    started_at        INTEGER NOT NULL,
    resolved_at       INTEGER,
    cause_class       TEXT    NOT NULL,
    cause             TEXT    NOT NULL,
    failed_conditions TEXT    NOT NULL DEFAULT '[]',  -- JSON array of "expected X, got Y"
    acked             INTEGER NOT NULL DEFAULT 0,
    note              TEXT
);
CREATE INDEX incidents_by_check ON incidents (check_id, started_at);
CREATE INDEX incidents_open ON incidents (resolved_at) WHERE resolved_at IS NULL;

-- The live state of each check, so a restart continues streaks and incidents.
CREATE TABLE check_state (
    check_id              TEXT PRIMARY KEY,
    status                TEXT    NOT NULL,
    since                 INTEGER NOT NULL,
    reason                TEXT,
    consecutive_failures  INTEGER NOT NULL,
    consecutive_successes INTEGER NOT NULL,
    last_result_at        INTEGER,
    open_incident         INTEGER REFERENCES incidents (id),
    breaker_state         TEXT    NOT NULL,
    breaker_failures      INTEGER NOT NULL,
    breaker_next_trial_at INTEGER
) WITHOUT ROWID;

CREATE TABLE action_runs (
    id           INTEGER PRIMARY KEY,
    action_id    TEXT    NOT NULL,
    check_id     TEXT,
    incident_id  INTEGER REFERENCES incidents (id),
    requested_by TEXT    NOT NULL,             -- cli, api, auto
    dry_run      INTEGER NOT NULL,
    started_at   INTEGER NOT NULL,
    finished_at  INTEGER NOT NULL,
    status       TEXT    NOT NULL,             -- ok, failed, timeout, error, dry_run
    exit_code    INTEGER,
    output       TEXT    NOT NULL,
    duration_ms  INTEGER NOT NULL,
    verified     INTEGER                       -- NULL when not verified
);
CREATE INDEX action_runs_by_action ON action_runs (action_id, started_at);
