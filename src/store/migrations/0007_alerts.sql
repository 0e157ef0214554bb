-- Every notification decision of the alert policy, one row per channel: sent (then
-- delivered or not, with its attempts and last error) or suppressed, and why. Ids are
-- assigned by the engine.
CREATE TABLE notifications (
    id           INTEGER PRIMARY KEY,
    at           INTEGER NOT NULL,
    event        TEXT    NOT NULL,             -- opened, resolved, reminder, ...
    incident_id  INTEGER,                      -- the incident, when it is about one
    channel      TEXT    NOT NULL,
    severity     TEXT    NOT NULL,
    title        TEXT    NOT NULL,
    body         TEXT    NOT NULL,
    suppressed   TEXT,                         -- silenced, acked, quiet_hours, ...; NULL when sent
    delivered    INTEGER,                      -- NULL while pending, 1 delivered, 0 given up
    attempts     INTEGER NOT NULL DEFAULT 0,
    error        TEXT,                         -- the last failed attempt's
    delivered_at INTEGER
);
CREATE INDEX notifications_by_incident ON notifications (incident_id);
CREATE INDEX notifications_pending ON notifications (id) WHERE delivered IS NULL AND suppressed IS NULL;

-- The checks each notification is about (a burst names many), in its order.
CREATE TABLE notification_checks (
    notification_id INTEGER NOT NULL REFERENCES notifications (id),
    check_id        TEXT    NOT NULL
);
CREATE INDEX notification_checks_by_check ON notification_checks (check_id, notification_id);
CREATE INDEX notification_checks_by_notification ON notification_checks (notification_id);

-- The incidents each notification tells of (a burst tells of many): what was told of
-- an incident, read back at start.
CREATE TABLE notification_incidents (
    notification_id INTEGER NOT NULL REFERENCES notifications (id),
    incident_id     INTEGER NOT NULL
);
CREATE INDEX notification_incidents_by_incident ON notification_incidents (incident_id, notification_id);
CREATE INDEX notification_incidents_by_notification ON notification_incidents (notification_id);

-- Silences: mute the notifications of checks and groups from starts_at to ends_at
-- (ended_at when ended early). Ids are assigned by the engine.
CREATE TABLE silences (
    id         INTEGER PRIMARY KEY,
    starts_at  INTEGER NOT NULL,
    ends_at    INTEGER NOT NULL,
    reason     TEXT    NOT NULL,
    created_by TEXT    NOT NULL,               -- api, cli, desktop
    ended_at   INTEGER
);
CREATE TABLE silence_targets (
    silence_id INTEGER NOT NULL REFERENCES silences (id),
    kind       TEXT    NOT NULL,               -- check or group
    name       TEXT    NOT NULL
);
CREATE INDEX silence_targets_by_silence ON silence_targets (silence_id);

-- Acknowledgement (acked stays as the flag) and notes of incidents.
ALTER TABLE incidents ADD COLUMN acked_at INTEGER;
CREATE TABLE incident_notes (
    id          INTEGER PRIMARY KEY,
    incident_id INTEGER NOT NULL REFERENCES incidents (id),
    at          INTEGER NOT NULL,
    text        TEXT    NOT NULL,
    author      TEXT    NOT NULL
);
CREATE INDEX incident_notes_by_incident ON incident_notes (incident_id);
