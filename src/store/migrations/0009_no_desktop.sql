-- A headless daemon's desktop notifications were logged as failed deliveries; they are
-- decisions shown nowhere (`no_desktop`), which is no failure.
UPDATE notifications
   SET suppressed = 'no_desktop', delivered = NULL, attempts = 0, error = NULL
 WHERE delivered = 0 AND error LIKE 'no desktop app is running%';
