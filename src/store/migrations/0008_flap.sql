-- A check's flap detection: its last results as changes (a bit per transition, the
-- newest lowest), how many results it has seen (up to the window), the last one's
-- status, and whether it is flapping; a restart neither forgets a flap nor tells it
-- twice.
ALTER TABLE check_state ADD COLUMN flap_changes INTEGER NOT NULL DEFAULT 0;
ALTER TABLE check_state ADD COLUMN flap_results INTEGER NOT NULL DEFAULT 0;
ALTER TABLE check_state ADD COLUMN flap_last TEXT;
ALTER TABLE check_state ADD COLUMN flapping INTEGER NOT NULL DEFAULT 0;
