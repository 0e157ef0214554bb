-- A breaker's whole state (its window of calls, its waits, a user's steering) as JSON;
-- breaker_state, breaker_failures and breaker_next_trial_at stay, written beside it, to
-- be read with plain SQL.
ALTER TABLE check_state ADD COLUMN breaker TEXT;

-- Every change of a breaker's state: opened by its window, half-open for trials, closed
-- again, or steered by a user; `by` is `breaker` or who steered it (`api`, `cli`,
-- `desktop`).
CREATE TABLE breaker_changes (
    id INTEGER PRIMARY KEY,
    check_id TEXT NOT NULL,
    at INTEGER NOT NULL,
    from_state TEXT NOT NULL,
    to_state TEXT NOT NULL,
    reason TEXT,
    requested_by TEXT NOT NULL
);
CREATE INDEX breaker_changes_by_check ON breaker_changes (check_id, at);
