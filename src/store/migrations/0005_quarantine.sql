-- A cleanup's quarantine: its folder under the data dir (NULL when deleted at once),
-- what it holds, when it is purged, and when it was undone.
ALTER TABLE action_runs ADD COLUMN quarantine_dir TEXT;
ALTER TABLE action_runs ADD COLUMN quarantine_count INTEGER;
ALTER TABLE action_runs ADD COLUMN quarantine_bytes INTEGER;
ALTER TABLE action_runs ADD COLUMN quarantine_expires INTEGER;
ALTER TABLE action_runs ADD COLUMN undone_at INTEGER;
