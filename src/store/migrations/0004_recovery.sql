-- Recovery: a budget reset per action (runs before it no longer count), and each
-- check's self-healing state, so a restart neither forgets a spent budget nor repeats
-- a run. An action run is now recorded when it starts (status `running`) and updated
-- when it ends; one still `running` at start was cut short (`interrupted`).
CREATE TABLE action_budget_resets (
    action_id TEXT    PRIMARY KEY,
    reset_at  INTEGER NOT NULL
);
CREATE TABLE healing (
    check_id    TEXT    PRIMARY KEY,
    attempts    INTEGER NOT NULL,
    last_run_at INTEGER,
    gave_up_at  INTEGER
);
CREATE INDEX action_runs_by_check ON action_runs (check_id, started_at);
