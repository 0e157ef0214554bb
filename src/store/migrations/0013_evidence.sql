-- An incident's evidence: what the probe saw, what changed against the last good
-- result, and this machine at that moment (JSON, see store::evidence).
ALTER TABLE incidents ADD COLUMN evidence TEXT;
