-- How far the rollups reach: the last result id rolled up. The writer keeps a few
-- seconds of rollups in memory and writes them with this mark (store::rollups), so the
-- results after it, committed but not yet rolled up when the process was killed, are
-- rolled up when the next writer starts. Until now every result was rolled up as it was written.
CREATE TABLE rollup_mark (
    last_result_id INTEGER NOT NULL
);
INSERT INTO rollup_mark (last_result_id) SELECT COALESCE(MAX(id), 0) FROM results;
