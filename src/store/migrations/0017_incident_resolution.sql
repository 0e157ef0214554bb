-- How an incident ended, when not by its check recovering: "removed from config"
-- (a reload removed its check). NULL for one resolved by a good result.
ALTER TABLE incidents ADD COLUMN resolution TEXT;
