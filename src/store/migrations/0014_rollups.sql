-- Each check's results rolled up per minute, hour and day (see store::rollups), written
-- by the writer as results arrive and kept far longer than the results. `t` is the
-- slot's start (Unix ms); the latency sketch is log-bucketed (1% relative error).
CREATE TABLE rollup_minute (
    check_id       TEXT    NOT NULL,
    t              INTEGER NOT NULL,
    count          INTEGER NOT NULL,
    up             INTEGER NOT NULL,
    degraded       INTEGER NOT NULL,
    down           INTEGER NOT NULL,
    unknown        INTEGER NOT NULL,
    downtime_ms    INTEGER NOT NULL,
    latency_count  INTEGER NOT NULL,
    latency_sum_us INTEGER NOT NULL,
    latency_max_us INTEGER,
    latency_sketch BLOB    NOT NULL,
    value_count    INTEGER NOT NULL,
    value_sum      REAL    NOT NULL,
    value_max      REAL,
    PRIMARY KEY (check_id, t)
) WITHOUT ROWID;
-- Pruning goes by time across checks.
CREATE INDEX rollup_minute_by_time ON rollup_minute (t);

CREATE TABLE rollup_hour (
    check_id       TEXT    NOT NULL,
    t              INTEGER NOT NULL,
    count          INTEGER NOT NULL,
    up             INTEGER NOT NULL,
    degraded       INTEGER NOT NULL,
    down           INTEGER NOT NULL,
    unknown        INTEGER NOT NULL,
    downtime_ms    INTEGER NOT NULL,
    latency_count  INTEGER NOT NULL,
    latency_sum_us INTEGER NOT NULL,
    latency_max_us INTEGER,
    latency_sketch BLOB    NOT NULL,
    value_count    INTEGER NOT NULL,
    value_sum      REAL    NOT NULL,
    value_max      REAL,
    PRIMARY KEY (check_id, t)
) WITHOUT ROWID;
CREATE INDEX rollup_hour_by_time ON rollup_hour (t);

-- Per UTC day: the uptime of many checks over 90 days reads 90 rows each.
CREATE TABLE rollup_day (
    check_id       TEXT    NOT NULL,
    t              INTEGER NOT NULL,
    count          INTEGER NOT NULL,
    up             INTEGER NOT NULL,
    degraded       INTEGER NOT NULL,
    down           INTEGER NOT NULL,
    unknown        INTEGER NOT NULL,
    downtime_ms    INTEGER NOT NULL,
    latency_count  INTEGER NOT NULL,
    latency_sum_us INTEGER NOT NULL,
    latency_max_us INTEGER,
    latency_sketch BLOB    NOT NULL,
    value_count    INTEGER NOT NULL,
    value_sum      REAL    NOT NULL,
    value_max      REAL,
    PRIMARY KEY (check_id, t)
) WITHOUT ROWID;
CREATE INDEX rollup_day_by_time ON rollup_day (t);

-- How far the one-time build of rollups from the results already kept has gone: the
-- last result id it rolled up (its row is removed once the build is done). A database
-- created at this version has nothing to build.
CREATE TABLE rollup_build (
    last_result_id INTEGER NOT NULL,
    until_id       INTEGER NOT NULL
);
INSERT INTO rollup_build (last_result_id, until_id)
    SELECT 0, MAX(id) FROM results HAVING MAX(id) IS NOT NULL;
