-- What a check measures besides its latency (a system metric, a process's CPU, the
-- number a command prints), per result; NULL for kinds that measure nothing.
ALTER TABLE results ADD COLUMN value REAL;
