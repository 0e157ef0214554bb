-- A check's results are found through a chain rather than an index on (check_id, at):
-- each result names the check's result before it (`prev`), `result_heads` names each
-- check's newest, and `result_marks` holds one result a minute of each check (every
-- result of a slower one), by time, where a walk back over a time range starts. A
-- result written costs an append and two small hot rows, not a leaf of an index that
-- every check's results are spread over (store::results).
ALTER TABLE results ADD COLUMN prev INTEGER;

CREATE TABLE result_heads (
    check_id  TEXT    PRIMARY KEY,
    last_id   INTEGER NOT NULL,
    -- When the check's newest mark was made; NULL before its first.
    marked_at INTEGER
) WITHOUT ROWID;

CREATE TABLE result_marks (
    check_id TEXT    NOT NULL,
    at       INTEGER NOT NULL,
    id       INTEGER NOT NULL,
    PRIMARY KEY (check_id, at, id)
) WITHOUT ROWID;
-- Pruning goes by time across checks.
CREATE INDEX result_marks_by_time ON result_marks (at);

-- Results kept before the chains: the newest of each check are chained when this
-- migration runs (store::results::chain_kept); time ranges of raw results are walked
-- from `since` on, earlier ones are read from the rollups.
CREATE TABLE result_chains (
    since INTEGER NOT NULL
);
INSERT INTO result_chains (since) SELECT COALESCE(MAX(at) + 1, 0) FROM results;
