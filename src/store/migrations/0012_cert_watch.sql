-- `alert.cert_days`: the lowest threshold told for the certificate a check watches now,
-- and the days left it last saw (a renewal shows as days that grow).
ALTER TABLE check_state ADD COLUMN cert_told INTEGER;
ALTER TABLE check_state ADD COLUMN cert_days INTEGER;
