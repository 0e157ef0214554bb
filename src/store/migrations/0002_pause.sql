-- A check paused by the user: since when, and until when (NULL: until resumed).
ALTER TABLE check_state ADD COLUMN paused_at INTEGER;
ALTER TABLE check_state ADD COLUMN paused_until INTEGER;
