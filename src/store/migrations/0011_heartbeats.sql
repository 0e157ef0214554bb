-- Heartbeat checks: the push URL's token (generated when the config gives none, kept
-- across restarts) and the last ping: when, whether it reported a failure, its message.
CREATE TABLE heartbeats (
    check_id TEXT PRIMARY KEY,
    token TEXT NOT NULL,
    last_ping_at INTEGER,
    failed INTEGER NOT NULL DEFAULT 0,
    message TEXT
);
